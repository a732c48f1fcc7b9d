/**
 * Faults (issue 7, test 8): Redis slow. `CLIENT PAUSE 2000` on the test's own redis-server
 * holds every command of the gateway's connections for two seconds; L2 reads must give up
 * after REDIS_COMMAND_TIMEOUT_MS and the answers come from L1 and Postgres. Counted: errors
 * (0), wrong answers (0), and the slowest answer, bounded well under the pause.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, dataOf, type TestGateway } from '../helpers/gateway.js';
import { startTestRedis, type TestRedis } from '../helpers/testRedis.js';

const PAUSE_MS = 2000;
const COMMAND_TIMEOUT_MS = 50;
let redis: TestRedis;
let gw: TestGateway;
before(async () => {
  redis = await startTestRedis();
  gw = await startTestGateway({ redisUrl: redis.url, env: { REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS) } });
});
after(async () => {
  await gw?.stop();
  await redis?.stop();
});

test(`CLIENT PAUSE ${PAUSE_MS}: reads time out at REDIS_COMMAND_TIMEOUT_MS (${COMMAND_TIMEOUT_MS}) and are answered from L1 and Postgres`, { timeout: 60_000 }, async () => {
  const warm = '{ movie(id: "5") { id title } }';
  const expectedWarm = dataOf(await gw.post(warm));
  const truth = await gw.database.db.query<{ id: number; title: string }>('SELECT id, title FROM movies WHERE id BETWEEN 40 AND 49 ORDER BY id');

  await redis.client.call('CLIENT', 'PAUSE', String(PAUSE_MS), 'ALL');
  const pausedAt = performance.now();
  const timings: number[] = [];
  let errors = 0;
  let wrong = 0;
  // Misses (never read before: L1 misses, L2 paused) and a hit, one after another while Redis is paused.
  for (const row of truth.rows) {
    const started = performance.now();
    const response = await gw.post(`{ movie(id: "${row.id}") { id title } }`);
    timings.push(performance.now() - started);
    if (response.body.errors) errors++;
    else if (response.body.data.movie.title !== row.title) wrong++;
  }
  const hit = await gw.post(warm);
  const elapsed = performance.now() - pausedAt;
  assert.ok(elapsed < PAUSE_MS, `the reads ran while Redis was paused (${Math.round(elapsed)} ms)`);
  assert.deepEqual(dataOf(hit), expectedWarm);
  const slowest = Math.max(...timings);
  console.log(`  ${timings.length} misses with Redis paused: ${errors} errors, ${wrong} wrong, slowest ${Math.round(slowest)} ms`);
  assert.equal(errors, 0);
  assert.equal(wrong, 0);
  assert.ok(slowest < 500, `the slowest miss took ${Math.round(slowest)} ms with Redis paused for ${PAUSE_MS}`);
});
