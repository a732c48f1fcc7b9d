/**
 * Cache warming: a gateway started with CACHE_WARM serves at once while it warms in the
 * background; once warmed, what the seeds call hot (the popular movies, the power users'
 * recommendations, the most matched candidates' top matches, each sector's most matched jobs'
 * best candidates) is answered without SQL. When its L1 is cleared after an outage of the bus,
 * it warms again.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, dataOf, type TestGateway } from '../helpers/gateway.js';
import { startTestRedis, type TestRedis } from '../helpers/testRedis.js';
import { until } from '../helpers/until.js';
import { warmRequests } from '../../src/services/cacheWarmer.js';
import { BUS_CHANNEL } from '../../src/invalidation/busMessage.js';

let redis: TestRedis;
let gw: TestGateway;
let servedWhileWarming: boolean;
before(async () => {
  redis = await startTestRedis();
  gw = await startTestGateway({ redisUrl: redis.url, env: { CACHE_WARM: 'true', CACHE_WARM_CONCURRENCY: '2' } });
  // Start-up did not wait for the warm-up: it is still going, and the gateway answers meanwhile.
  const warming = gw.gateway.warmer!.completed === 0;
  servedWhileWarming = warming && dataOf(await gw.post('{ movie(id: "3") { title } }')).movie.title.length > 0;
});
after(async () => {
  await gw?.stop();
  await redis?.stop();
});

test('start-up does not wait for the warm-up: the gateway answered while it ran', () => {
  assert.equal(servedWhileWarming, true);
});

test("once warmed, the seeds' hot keys are answered without SQL", async () => {
  await until(() => gw.gateway.warmer!.completed >= 1, 'the first warm-up ends', 60_000);
  const requests = await warmRequests(gw.database.db);
  assert.ok(requests.length > 100, `${requests.length} requests warmed`);
  // One of each kind, asked as the warmer asked it: served from the tiers.
  const kinds = ['PopularMovies', 'Movies', 'Movie', 'Job', 'TopCandidates', 'Recommendations', 'UserProfile', 'Candidate', 'TopMatches'];
  for (const kind of kinds) {
    const request = requests.find((r) => new RegExp(`query ${kind}\\b`).test(r.query))!;
    assert.ok(request, `a ${kind} request`);
    const response = await gw.post(request.query, request.variables, { headers: { 'x-cache-debug': '1' } });
    dataOf(response);
    assert.equal(response.body.extensions?.cache.sqlStatements, 0, `${kind} ${JSON.stringify(request.variables)} is served from the cache`);
  }
});

test('after an outage of the bus clears L1, it warms again', async () => {
  const before = gw.gateway.warmer!.completed;
  await redis.client.client('KILL', 'TYPE', 'pubsub');
  // The bus reconnects, L1 is cleared and trusted again RESUME_AFTER_MS (3 s) later; then the warm-up.
  await until(() => gw.gateway.warmer!.completed > before, 'a second warm-up ends', 60_000);
  assert.ok(Number((await redis.client.pubsub('NUMSUB', BUS_CHANNEL))[1]) >= 1, 'subscribed again');
});
