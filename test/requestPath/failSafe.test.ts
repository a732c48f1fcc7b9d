/**
 * Stale-while-revalidate and Postgres down, against a real Postgres the test cuts off (a TCP
 * proxy between the gateway and it) and the test's own redis-server. An entry is made stale
 * from the outside: its stored `freshUntil` moved into the past in Redis, and L1 emptied.
 */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, dataOf, codesOf, type TestGateway } from '../helpers/gateway.js';
import { startTestRedis, type TestRedis } from '../helpers/testRedis.js';
import { startTcpProxy, type TcpProxy } from '../support/tcpProxy.js';
import { adminUrl } from '../helpers/testDb.js';
import { inTransaction } from '../../src/db/pool.js';
import { tapStatements, type StatementTap } from '../helpers/statements.js';

let redis: TestRedis;
let proxy: TcpProxy;
let gw: TestGateway;
let tap: StatementTap;
before(async () => {
  redis = await startTestRedis();
  const postgres = new URL(adminUrl);
  proxy = await startTcpProxy({ host: postgres.hostname, port: Number(postgres.port || 5432) });
  gw = await startTestGateway({
    redisUrl: redis.url,
    postgresPort: proxy.port,
    // Fail fast while Postgres is unreachable. The entry tiers are under test: whole answers
    // would stand in front of them (the response tier has its own tests, responseTier.test.ts).
    env: { PG_CONNECT_TIMEOUT_MS: '500', PG_QUERY_TIMEOUT_MS: '2000', CACHE_RESPONSE_MB: '0' },
  });
  tap = tapStatements(gw.gateway.services.db);
});
after(async () => {
  tap.remove();
  await gw.stop();
  await proxy.close();
  await redis.stop();
});
beforeEach(() => proxy.restore());

const cache = () => gw.gateway.services.cache;
const title = async (id: number) => (await gw.post(`{ movie(id: "${id}") { title } }`)).body;

/** Moves the stored entry of `key` past its TTL (still within its grace period) and empties L1. */
async function makeStale(key: string): Promise<void> {
  const entry = JSON.parse((await redis.client.get(key))!);
  entry.freshUntil = Date.now() - 1000;
  await redis.client.set(key, JSON.stringify(entry), 'KEEPTTL');
  cache().l1!.clear();
}

test('an entry past its TTL is served stale, says so, and is refreshed in the background once', async () => {
  const key = cache().keys.movieMetadata(5);
  const original = dataOf({ ...(await gw.post('{ movie(id: "5") { title } }')), status: 200, headers: new Headers() }).movie.title;
  await new Promise((r) => setTimeout(r, 20));
  // A change the cache is not told of, so only a refresh shows it: straight into Postgres,
  // marked as a seed load is (the change outbox would otherwise invalidate the entry).
  await inTransaction(gw.database.db, (client) => client.query(`UPDATE movies SET title = 'Renamed' WHERE id = 5`), 'seed');
  await makeStale(key);
  tap.reset();
  const burst = await Promise.all(Array.from({ length: 20 }, () => title(5)));
  // Each answer is the stale entry, flagged, or (once the refresh has landed in L1) the new title.
  for (const answer of burst) {
    if (answer.data.movie.title === original) assert.equal(answer.extensions?.stale, true);
    else assert.deepEqual([answer.data.movie.title, answer.extensions], ['Renamed', undefined]);
  }
  assert.ok(burst.some((answer) => answer.data.movie.title === original), 'the stale entry answered at once');
  const deadline = Date.now() + 5000;
  while (JSON.parse((await redis.client.get(key))!).value.title !== 'Renamed') {
    assert.ok(Date.now() < deadline, 'the background refresh did not land');
    await new Promise((r) => setTimeout(r, 20));
  }
  const fresh = await title(5);
  assert.equal(fresh.data.movie.title, 'Renamed');
  assert.equal(fresh.extensions, undefined, 'a fresh answer carries no stale flag');
  assert.equal(tap.statements.filter((sql) => /FROM movies m/.test(sql)).length, 1, 'one refresh for the whole burst');
});

test('Postgres down: stale entries are served within grace with extensions.stale; what is not cached fails with a code; both recover', async () => {
  await gw.post('{ movie(id: "6") { title } }');
  await new Promise((r) => setTimeout(r, 20));
  const cachedTitle = JSON.parse((await redis.client.get(cache().keys.movieMetadata(6)))!).value.title;
  await makeStale(cache().keys.movieMetadata(6));
  proxy.cut();
  const stale = await title(6);
  assert.equal(stale.errors, undefined, JSON.stringify(stale.errors));
  assert.equal(stale.data.movie.title, cachedTitle);
  assert.equal(stale.extensions?.stale, true);
  // Again: the failed refresh left the stale entry in place.
  assert.equal((await title(6)).data.movie.title, cachedTitle);

  const uncached = await gw.post('{ movie(id: "7") { title } }');
  assert.deepEqual(codesOf(uncached), ['SERVICE_UNAVAILABLE']);

  proxy.restore();
  const deadline = Date.now() + 10_000;
  for (;;) {
    const again = await gw.post('{ movie(id: "7") { title } }');
    if (!again.body.errors) break;
    assert.ok(Date.now() < deadline, `no recovery within 10 s: ${JSON.stringify(again.body.errors)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
});

test('an entry invalidated by a write is never served stale, not even with Postgres down', async () => {
  await gw.post('{ candidate(id: "3") { title } }');
  await new Promise((r) => setTimeout(r, 20));
  // A write that stores nothing of its own (a mutation stores the row its statement returned,
  // invalidate.ts): the statement, then what a mutation runs after it.
  await gw.database.db.query("UPDATE candidates SET title = 'Written' WHERE id = 3");
  await gw.gateway.services.invalidator.invalidate([{ type: 'CandidateUpdated', candidateId: 3, scoring: false }]);
  // The old entry is still in Redis; make it look merely stale, then take Postgres away.
  await makeStale(cache().keys.candidateProfile(3));
  proxy.cut();
  const response = await gw.post('{ candidate(id: "3") { title } }');
  assert.deepEqual(codesOf(response), ['SERVICE_UNAVAILABLE']);
});
