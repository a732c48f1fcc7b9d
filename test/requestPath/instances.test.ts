/**
 * Two gateway instances over one Postgres and one Redis (the test's own): a herd across
 * both computes once (the Redis lock), and what one instance wrote back the other reads.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, dataOf, type TestGateway } from '../helpers/gateway.js';
import { startTestRedis, type TestRedis } from '../helpers/testRedis.js';
import { holdFirstAnswer, tapStatements } from '../helpers/statements.js';
import { slowRecommender } from '../helpers/instances.js';

let redis: TestRedis;
let a: TestGateway;
let b: TestGateway;
let engine: { calls: number };
before(async () => {
  redis = await startTestRedis();
  // One process runs both instances and a 1,000-request herd: its event loop lags past the
  // default 50 ms Redis timeout, which would read as Redis failing. The lock is under test here.
  const env = { REDIS_COMMAND_TIMEOUT_MS: '2000' };
  a = await startTestGateway({ redisUrl: redis.url, env });
  b = await startTestGateway({ redisUrl: redis.url, database: a.database, env });
  engine = slowRecommender([a, b]);
});
after(async () => {
  await b.stop();
  await a.stop();
  await redis.stop();
});

test('1,000 concurrent misses of one key across two instances: the engine runs once', async () => {
  const query = '{ recommendations(userId: "17", n: 10) { score reason movie { id } } }';
  const answers = await Promise.all(Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? a : b).post(query)));
  const first = dataOf(answers[0]);
  assert.equal(first.recommendations.length, 10);
  for (const answer of answers) assert.deepEqual(dataOf(answer), first);
  assert.equal(engine.calls, 1);
  const lockKey = a.gateway.services.cache.keys.lock(a.gateway.services.cache.keys.recommendations(17, 10, 'COLLABORATIVE'));
  assert.equal(await redis.client.exists(lockKey), 0, 'the lock was released');
});

test('what one instance computed, the other serves from L2; a write on one is seen by the other at once', async () => {
  const query = '{ candidate(id: "19") { title } topMatches(candidateId: "19", limit: 3) { score job { id } } }';
  const fromA = dataOf(await a.post(query));
  await new Promise((r) => setTimeout(r, 20));
  const tap = tapStatements(b.gateway.services.db);
  try {
    assert.deepEqual(dataOf(await b.post(query)), fromA);
    assert.deepEqual(tap.statements, [], 'B read both from Redis');
    dataOf(await a.post('mutation { updateCandidate(id: "19", input: { title: "Seen everywhere" }) { id } }'));
    // B holds the old entries in its L1: the bus told it before A answered.
    assert.equal(dataOf(await b.post(query)).candidate.title, 'Seen everywhere');
  } finally {
    tap.remove();
  }
});

test("a load on one instance that read the old row before another instance's write is never served after it", async () => {
  // B's statement runs for real and reads the old row; its answer is held back until A has
  // written and invalidated, so B writes the old row back afterwards, into L1 and Redis.
  const held = holdFirstAnswer(b.gateway.services.db, 'FROM candidates WHERE id = ANY');
  const read = '{ candidate(id: "23") { title } }';
  try {
    const early = b.post(read);
    await held.read;
    dataOf(await a.post('mutation { updateCandidate(id: "23", input: { title: "Written on A" }) { id } }'));
    held.release();
    assert.notEqual(dataOf(await early).candidate.title, 'Written on A', 'B read the old row');
    await b.gateway.services.cache.l2!.redis.ping(); // B's write-back pipeline has gone out
    await new Promise((r) => setTimeout(r, 20));
    const stored = await redis.client.get(b.gateway.services.cache.keys.candidateProfile(23));
    assert.ok(stored === null || JSON.parse(stored).value.title !== 'Written on A', 'the late write-back held the old row');
    // Stored or not, the old row is never served: not by B from its L1, nor by A from Redis.
    for (const gw of [b, a]) assert.equal(dataOf(await gw.post(read)).candidate.title, 'Written on A');
  } finally {
    held.remove();
  }
});
