/**
 * Faults (issue 7, test 16): eviction pressure. The test's own redis-server gets 256 KB of
 * `maxmemory` above what it holds at the start, with `allkeys-lru`, so Redis evicts entries, tag versions and locks alike, while
 * two gateway processes serve reads of many keys and writes. A version Redis evicted must
 * read as unknown (a miss), never as a match. Counted: evictions (> 0) and stale reads after
 * acknowledged writes, on the writing instance and on the other (0). Then what /metrics says
 * of Redis's memory and evictions, and that every key the gateways wrote has a TTL.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDeployment, type GatewayProcess, type TestDeployment } from '../helpers/gatewayProcess.js';
import { dataOf } from '../helpers/gateway.js';
import { until } from '../helpers/until.js';

let deployment: TestDeployment;
let a: GatewayProcess;
let b: GatewayProcess;
before(async () => {
  deployment = await startDeployment(2);
  [a, b] = deployment.instances;
  // A little above what Redis holds now (its own overhead and the gateways' connections): the
  // entries the test makes cannot all fit.
  const used = Number(/used_memory:(\d+)/.exec(await deployment.redis.client.info('memory'))![1]);
  await deployment.redis.client.config('SET', 'maxmemory', String(used + 256 * 1024));
  await deployment.redis.client.config('SET', 'maxmemory-policy', 'allkeys-lru');
});
after(async () => {
  await deployment?.stop();
});

const evicted = async () => Number(/evicted_keys:(\d+)/.exec(await deployment.redis.client.info('stats'))![1]);

test('under eviction, every read after an acknowledged write shows it, on both instances', { timeout: 120_000 }, async () => {
  const before = await evicted();
  const candidates = [2, 3, 4, 5, 6, 7, 8, 9];
  const readCandidate = (gw: GatewayProcess, id: number) => gw.post(`{ candidate(id: "${id}") { id title } }`);
  let stale = 0;
  let writes = 0;
  let reads = 0;
  const deadline = Date.now() + 10_000;
  // Readers fill Redis with entries of many keys (each movie with its recommendations-sized neighbours).
  const fill = async () => {
    for (let i = 0; Date.now() < deadline; i++) {
      const gw = i % 2 ? a : b;
      await gw.post(`{ movies(ids: [${Array.from({ length: 20 }, (_, k) => `"${((i * 20 + k) % 500) + 1}"`).join(',')}]) { id title ratingCount } }`);
      await gw.post(`{ recommendations(userId: "${(i % 200) + 1}", n: 10) { movie { id } } }`);
    }
  };
  // Writers: a new title, acknowledged, then read back on both instances.
  const write = async (candidate: number) => {
    for (let round = 0; Date.now() < deadline; round++) {
      await readCandidate(a, candidate);
      await readCandidate(b, candidate);
      const title = `Evicted ${candidate}-${round}`;
      const writer = round % 2 ? a : b;
      dataOf(await writer.post(`mutation { updateCandidate(id: "${candidate}", input: { title: "${title}" }) { id } }`));
      writes++;
      for (const gw of [a, b]) {
        const seen = dataOf(await readCandidate(gw, candidate)).candidate.title;
        reads++;
        if (seen !== title) stale++;
      }
    }
  };
  await Promise.all([fill(), fill(), ...candidates.map(write)]);
  const evictions = (await evicted()) - before;
  console.log(`  ${writes} writes, ${reads} read-backs, ${evictions} keys evicted by Redis, ${stale} stale`);
  assert.ok(evictions > 0, 'Redis evicted keys');
  assert.ok(writes > 20, `${writes} writes`);
  assert.equal(stale, 0, 'stale reads');
});

test("/metrics reports Redis's memory, its bound and its evictions; every key the gateways wrote has a TTL", async () => {
  const maxmemory = Number(((await deployment.redis.client.config('GET', 'maxmemory')) as string[])[1]);
  // The first scrape has INFO read in the background; a later one reports it.
  await until(async () => (await a.metric('strata_redis_evicted_keys')) > 0, 'the evictions reported', 15_000);
  // Redis may go on evicting (it is at its bound, and the gateways still beat on the bus), so the
  // count is read after the scrape: what the gateway reported cannot be ahead of it.
  const reported = await a.metric('strata_redis_evicted_keys');
  const evictedNow = await evicted();
  assert.ok(reported <= evictedNow, `reported ${reported} evictions, Redis counts ${evictedNow}`);
  assert.equal(await a.metric('strata_redis_maxmemory_bytes'), maxmemory);
  const used = await a.metric('cache_memory_bytes{level="l2"}');
  assert.ok(used > 0 && used <= maxmemory * 1.1, `used_memory ${used} of ${maxmemory}`);

  const keys = await deployment.redis.keys('*');
  // Redis holds what fits in its bound, whatever eviction left: enough keys to say something of them all.
  assert.ok(keys.length > 20, `${keys.length} keys`);
  const withoutTtl = [];
  for (const key of keys) if ((await deployment.redis.client.pttl(key)) === -1) withoutTtl.push(key);
  assert.deepEqual(withoutTtl, [], 'keys without a TTL');
});
