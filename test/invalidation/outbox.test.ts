/**
 * The change outbox across instances: one instance reads it at a time (the advisory lock);
 * when that one stops, another takes over within the poll interval, and rows committed
 * meanwhile are invalidated, not lost.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, dataOf, type TestGateway } from '../helpers/gateway.js';
import { until } from '../helpers/until.js';
import { startTestRedis, type TestRedis } from '../helpers/testRedis.js';
import { createTestDatabase, type TestDatabase } from '../helpers/testDb.js';

const POLL_MS = 100;
let redis: TestRedis;
let database: TestDatabase;
let a: TestGateway;
let b: TestGateway;
before(async () => {
  redis = await startTestRedis();
  const env = { OUTBOX_POLL_MS: String(POLL_MS) };
  database = await createTestDatabase({ scale: 0.05 });
  a = await startTestGateway({ redisUrl: redis.url, database, env });
  b = await startTestGateway({ redisUrl: redis.url, database, env });
});
after(async () => {
  // Each only if `before` got that far.
  await b?.stop();
  await a?.stop().catch(() => undefined); // stopped by the test already
  await database?.drop();
  await redis?.stop();
});

test('one instance reads the outbox; when it stops, the other takes over and nothing committed meanwhile is lost', async () => {
  const leaders = () => [a, b].filter((gw) => gw.gateway.services.outbox.leading);
  assert.equal(leaders().length, 1, 'exactly one reader');
  assert.equal(leaders()[0], a, 'the first instance took the lock');
  const query = '{ job(id: "14") { title } }';
  dataOf(await b.post(query));
  await a.stop();
  // Committed while no instance reads the outbox: it waits there.
  await database.db.query(`UPDATE jobs SET title = 'Changed with no reader' WHERE id = 14`);
  const committed = Date.now();
  // Hang bounds, generous because every test file shares the machine: the takeover takes
  // about POLL_MS (bench/results/invalidation.md measures the outbox's delay under load).
  await until(async () => b.gateway.services.outbox.leading, 'the other instance reads the outbox', 10_000);
  await until(async () => dataOf(await b.post(query)).job.title === 'Changed with no reader', 'the change is served', 10_000);
  console.log(`a change committed with no outbox reader was served ${Date.now() - committed} ms later, after the takeover`);
  // The reader deletes rows after invalidating them (so a crash between reads them again): the
  // change can be served a moment before its row is gone.
  const outboxRows = async () => (await database.db.query<{ n: number }>('SELECT count(*)::int AS n FROM change_outbox')).rows[0].n;
  await until(async () => (await outboxRows()) === 0, 'the outbox emptied by its reader', 5_000);
});
