/**
 * Logs that help during an outage: with Postgres unreachable (a proxy the test cuts), every
 * request that needs it fails with SERVICE_UNAVAILABLE, but the log says so once per window,
 * with how many alike it left out, instead of one line per request; every failure is still
 * counted in the metrics.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gatewayProcess.js';
import { createTestDatabase, type TestDatabase } from '../helpers/testDb.js';
import { codesOf } from '../helpers/gateway.js';
import { startTcpProxy, type TcpProxy } from '../support/tcpProxy.js';

let database: TestDatabase;
let proxy: TcpProxy;
let gw: GatewayProcess;
const output: string[] = [];
before(async () => {
  database = await createTestDatabase({ scale: 0.05 });
  const url = new URL(database.url);
  proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
  url.port = String(proxy.port);
  gw = await startGatewayProcess({ databaseUrl: url.toString(), env: { PG_CONNECT_TIMEOUT_MS: '300' }, output });
});
after(async () => {
  await gw?.stop();
  await proxy?.close();
  await database?.drop();
});

test('100 requests failing in a Postgres outage make one log line, which counts the rest; the metrics count all 100', async () => {
  const before = await gw.metric('strata_graphql_errors_total{code="SERVICE_UNAVAILABLE"}');
  proxy.cut();
  try {
    for (let id = 100; id < 200; id++) assert.deepEqual(codesOf(await gw.post(`{ movie(id: "${id}") { title } }`)), ['SERVICE_UNAVAILABLE']);
  } finally {
    proxy.restore();
  }
  // The window has passed: the next failure is logged, with the count of those left out.
  await new Promise((resolve) => setTimeout(resolve, 5100));
  proxy.cut();
  try {
    assert.deepEqual(codesOf(await gw.post('{ movie(id: "300") { title } }')), ['SERVICE_UNAVAILABLE']);
  } finally {
    proxy.restore();
  }
  const lines = output.join('').split('\n').filter((line) => line.includes('operation failed'));
  assert.equal(lines.length, 2, lines.join('\n'));
  assert.doesNotMatch(lines[0], /alikeNotLogged/);
  assert.match(lines[1], /"alikeNotLogged":99/);
  assert.equal((await gw.metric('strata_graphql_errors_total{code="SERVICE_UNAVAILABLE"}')) - before, 101);
});
