/**
 * Faults (issue 7, test 12): the Postgres pool exhausted by long queries. The test locks a
 * table on a connection of its own, and two requests that read it take the gateway's whole
 * pool (PG_POOL_MAX=2) waiting on the lock. Counted: uncached requests that fail, how fast and
 * with which code; cached requests that fail (0); and after the lock goes, requests that fail
 * (0).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, codesOf, dataOf, type TestGateway } from '../helpers/gateway.js';
import { timed } from '../helpers/timed.js';
import { createTestDatabase, type TestDatabase } from '../helpers/testDb.js';

const CONNECT_TIMEOUT_MS = 300;
let database: TestDatabase;
let gw: TestGateway;
before(async () => {
  // A database of the test's own, given to the gateway, so that it opens a pool of its own with these settings.
  database = await createTestDatabase({ scale: 0.05 });
  gw = await startTestGateway({ database, env: { PG_POOL_MAX: '2', PG_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS), PG_QUERY_TIMEOUT_MS: '20000' } });
});
after(async () => {
  await gw?.stop();
  await database?.drop();
});

test('with every pooled connection stuck, uncached requests fail fast with SERVICE_UNAVAILABLE and cached ones are answered', { timeout: 60_000 }, async () => {
  const cached = '{ movie(id: "1") { id title ratingCount } }';
  const expected = dataOf(await gw.post(cached));
  const locker = await database.db.connect();
  let stuck: Array<Promise<unknown>> = [];
  try {
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE candidates IN ACCESS EXCLUSIVE MODE');
    // Two requests whose reads wait on the lock: each holds one of the pool's two connections.
    stuck = ['31', '32'].map((id) => gw.post(`{ candidate(id: "${id}") { id name } }`));
    await new Promise((resolve) => setTimeout(resolve, 200));

    const uncached = await Promise.all(Array.from({ length: 10 }, (_, i) => timed(() => gw.post(`{ job(id: "${i + 20}") { id title } }`))));
    const codes = uncached.map(({ value }) => codesOf(value).join(','));
    assert.deepEqual([...new Set(codes)], ['SERVICE_UNAVAILABLE'], `codes of the uncached requests: ${codes.join(' ')}`);
    const slowest = Math.max(...uncached.map(({ ms }) => ms));
    console.log(`  10 uncached requests failed with SERVICE_UNAVAILABLE, the slowest in ${Math.round(slowest)} ms (connection timeout ${CONNECT_TIMEOUT_MS} ms)`);
    assert.ok(slowest < CONNECT_TIMEOUT_MS + 1500, `the slowest failure took ${Math.round(slowest)} ms`);

    const hits = await Promise.all(Array.from({ length: 10 }, () => timed(() => gw.post(cached))));
    for (const { value } of hits) assert.deepEqual(dataOf(value), expected);
    console.log(`  10 cached requests answered, the slowest in ${Math.round(Math.max(...hits.map(({ ms }) => ms)))} ms`);
  } finally {
    await locker.query('ROLLBACK');
    locker.release();
  }
  // The stuck requests complete once the lock is gone, and the pool serves again.
  for (const answer of await Promise.all(stuck)) dataOf(answer as Parameters<typeof dataOf>[0]);
  assert.equal(dataOf(await gw.post('{ job(id: "20") { id } }')).job.id, '20');
});
