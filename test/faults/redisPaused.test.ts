/**
 * Faults (issue 7, test 8): Redis slow. `CLIENT PAUSE 2000` on the test's own redis-server
 * holds every command of the gateway's connections for two seconds; and, for a second
 * gateway, a proxy delivers every byte to and from Redis 200 ms late. Either way L2 reads
 * must give up after REDIS_COMMAND_TIMEOUT_MS and the answers come from L1 and Postgres.
 * Counted: errors (0), wrong answers (0), and the slowest answer, bounded well under the
 * pause (under one round trip to the slow Redis).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, dataOf, type TestGateway } from '../helpers/gateway.js';
import { startTestRedis, type TestRedis } from '../helpers/testRedis.js';
import { startTcpProxy, type TcpProxy } from '../support/tcpProxy.js';
import { until } from '../helpers/until.js';

const PAUSE_MS = 2000;
const COMMAND_TIMEOUT_MS = 50;
const LATENCY_MS = 200;
let redis: TestRedis;
let gw: TestGateway;
/** Between `slowGw` and Redis: slowed on cue. */
let proxy: TcpProxy;
let slowGw: TestGateway;
before(async () => {
  redis = await startTestRedis();
  const env = { REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS) };
  gw = await startTestGateway({ redisUrl: redis.url, env });
  proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(redis.url).port) });
  slowGw = await startTestGateway({ redisUrl: `redis://127.0.0.1:${proxy.port}`, database: gw.database, env });
});
after(async () => {
  await slowGw?.stop();
  await proxy?.close();
  await gw?.stop();
  await redis?.stop();
});

/** Reads each movie of `rows` in turn from `gateway`: how long each took, and the errors and wrong titles. */
async function readEach(gateway: TestGateway, rows: Array<{ id: number; title: string }>) {
  const timings: number[] = [];
  let errors = 0;
  let wrong = 0;
  for (const row of rows) {
    const started = performance.now();
    const response = await gateway.post(`{ movie(id: "${row.id}") { id title } }`);
    timings.push(performance.now() - started);
    if (response.body.errors) errors++;
    else if (response.body.data.movie.title !== row.title) wrong++;
  }
  return { timings, errors, wrong };
}

test(`CLIENT PAUSE ${PAUSE_MS}: reads time out at REDIS_COMMAND_TIMEOUT_MS (${COMMAND_TIMEOUT_MS}) and are answered from L1 and Postgres`, { timeout: 60_000 }, async () => {
  const warm = '{ movie(id: "5") { id title } }';
  const expectedWarm = dataOf(await gw.post(warm));
  const truth = await gw.database.db.query<{ id: number; title: string }>('SELECT id, title FROM movies WHERE id BETWEEN 40 AND 49 ORDER BY id');

  await redis.client.call('CLIENT', 'PAUSE', String(PAUSE_MS), 'ALL');
  const pausedAt = performance.now();
  // Misses (never read before: L1 misses, L2 paused) and a hit, one after another while Redis is paused.
  const { timings, errors, wrong } = await readEach(gw, truth.rows);
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

test(`Redis ${LATENCY_MS} ms late each way (a proxy): reads give up at REDIS_COMMAND_TIMEOUT_MS (${COMMAND_TIMEOUT_MS}) and are answered from L1 and Postgres; a write lands and reads back`, { timeout: 60_000 }, async () => {
  // The pause above is over, and this gateway's connections, paused with every other, are back.
  await redis.client.ping();
  await until(() => slowGw.gateway.services.cache.versions!.trusted, 'its bus is up and L1 trusted again', 10_000);
  const warm = '{ movie(id: "7") { id title } }';
  const expectedWarm = dataOf(await slowGw.post(warm));
  const truth = await slowGw.database.db.query<{ id: number; title: string }>('SELECT id, title FROM movies WHERE id BETWEEN 60 AND 69 ORDER BY id');
  const l2 = slowGw.gateway.services.cache.l2!;
  const openings = l2.breakerOpenings;
  proxy.slow(LATENCY_MS);
  let timings: number[] = [];
  let errors = 0;
  let wrong = 0;
  try {
    ({ timings, errors, wrong } = await readEach(slowGw, truth.rows));
    assert.deepEqual(dataOf(await slowGw.post(warm)), expectedWarm);
    // A write: its versions reach the slow Redis within the invalidation's deadline, and the
    // next read shows it (its L1 entry invalid, L2 too slow, so from Postgres).
    const wroteAt = performance.now();
    dataOf(await slowGw.post('mutation { updateCandidate(id: "5", input: { title: "Written while Redis was slow" }) { id } }'));
    const writeMs = performance.now() - wroteAt;
    assert.equal(dataOf(await slowGw.post('{ candidate(id: "5") { title } }')).candidate.title, 'Written while Redis was slow');
    const slowest = Math.max(...timings);
    console.log(`  ${timings.length} misses with Redis ${LATENCY_MS} ms late: ${errors} errors, ${wrong} wrong, slowest ${Math.round(slowest)} ms; the write took ${Math.round(writeMs)} ms; breaker opened ${l2.breakerOpenings - openings} time(s)`);
  } finally {
    proxy.restore();
  }
  assert.equal(errors, 0);
  assert.equal(wrong, 0);
  assert.ok(l2.breakerOpenings > openings, 'L2 calls failed and the breaker opened: the reads did go through the slow Redis');
  const slowest = Math.max(...timings);
  assert.ok(slowest < 2 * LATENCY_MS, `the slowest miss took ${Math.round(slowest)} ms, a round trip to Redis ${2 * LATENCY_MS}: it waited for Redis`);
});
