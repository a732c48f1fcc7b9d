/**
 * Faults (issue 7, test 11): Postgres frozen. A TCP proxy between the gateway and Postgres
 * black-holes every byte (connections stay open, nothing answers), as a frozen server or a
 * dropping network would. PG_QUERY_TIMEOUT_MS and PG_CONNECT_TIMEOUT_MS must fire; cached
 * answers keep being served. Counted: cached answers that fail (0), uncached requests that
 * fail with SERVICE_UNAVAILABLE and how long they took (bounded by the timeouts), and requests
 * that fail once the link is back (0).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, codesOf, dataOf, type TestGateway } from '../helpers/gateway.js';
import { timed } from '../helpers/timed.js';
import { adminUrl } from '../helpers/testDb.js';
import { startTcpProxy, type TcpProxy } from '../support/tcpProxy.js';

const QUERY_TIMEOUT_MS = 500;
const CONNECT_TIMEOUT_MS = 500;
let proxy: TcpProxy;
let gw: TestGateway;
before(async () => {
  const postgres = new URL(adminUrl);
  proxy = await startTcpProxy({ host: postgres.hostname, port: Number(postgres.port || 5432) });
  gw = await startTestGateway({ postgresPort: proxy.port, env: { PG_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS), PG_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS) } });
});
after(async () => {
  proxy?.restore();
  await gw?.stop();
  await proxy?.close();
});

test('frozen Postgres: timeouts fire, uncached requests fail with a code, cached ones are served; all recover', { timeout: 60_000 }, async () => {
  const cached = ['{ movie(id: "2") { id title } }', '{ candidate(id: "2") { id name } }', '{ job(id: "2") { id title } }'];
  const expected = await Promise.all(cached.map(async (query) => dataOf(await gw.post(query))));
  proxy.blackHole();
  try {
    // In turn and at once: requests that need Postgres, and requests the caches answer.
    const uncached = await Promise.all(Array.from({ length: 6 }, (_, i) => timed(() => gw.post(`{ movie(id: "${40 + i}") { id title } }`))));
    const hits = await Promise.all(cached.map((query) => timed(() => gw.post(query))));
    hits.forEach(({ value }, i) => assert.deepEqual(dataOf(value), expected[i]));
    const codes = uncached.map(({ value }) => codesOf(value).join(','));
    assert.deepEqual([...new Set(codes)], ['SERVICE_UNAVAILABLE'], `codes: ${codes.join(' ')}`);
    const slowest = Math.max(...uncached.map(({ ms }) => ms));
    console.log(
      `  Postgres frozen: ${uncached.length} uncached requests failed with SERVICE_UNAVAILABLE, the slowest after ${Math.round(slowest)} ms ` +
        `(query timeout ${QUERY_TIMEOUT_MS} ms, connect timeout ${CONNECT_TIMEOUT_MS} ms); ${hits.length} cached answers served, the slowest in ${Math.round(Math.max(...hits.map(({ ms }) => ms)))} ms`,
    );
    assert.ok(slowest < QUERY_TIMEOUT_MS + CONNECT_TIMEOUT_MS + 1500, `the slowest failure took ${Math.round(slowest)} ms`);
  } finally {
    proxy.restore();
  }
  // Connections that timed out are not reused in a broken state: every request succeeds again.
  const deadline = Date.now() + 10_000;
  for (let id = 60; id < 70; id++) {
    let answer = await gw.post(`{ movie(id: "${id}") { id } }`);
    while (answer.body.errors && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      answer = await gw.post(`{ movie(id: "${id}") { id } }`);
    }
    assert.equal(dataOf(answer).movie.id, String(id));
  }
});
