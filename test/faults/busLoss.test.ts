/**
 * Faults (issue 7, tests 9 and 14): invalidation messages that never arrive. Two in-process
 * gateways over one database and the test's own redis-server; A talks to Redis directly, B
 * through a TCP proxy the test can black-hole. A writes a candidate's title, B reads it back.
 *
 * - `CLIENT KILL TYPE pubsub` in the same instant as A's write: B's subscription drops, so
 *   B trusts no L1 until it is back and cleared. Stale read-backs: 0.
 * - B's link to Redis black-holed (connections stay open, no byte passes): its L2 reads time
 *   out and its breaker opens; its bus heartbeat finds the subscription silent, so it stops
 *   trusting L1. Stale read-backs: none later than the heartbeat's bound after the write.
 * - Redis frozen (SIGSTOP) for both: the same, on both; the write A could not publish is
 *   delivered after SIGCONT.
 * - A message lost while the connection stays up: a gap in a writer's sequence, or a
 *   heartbeat counting more than was heard, clears B's L1.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, dataOf, metricOf, type TestGateway } from '../helpers/gateway.js';
import { startTestRedis, type TestRedis } from '../helpers/testRedis.js';
import { createTestDatabase, type TestDatabase } from '../helpers/testDb.js';
import { startTcpProxy, type TcpProxy } from '../support/tcpProxy.js';
import { until } from '../helpers/until.js';
import { candidateTitle as titleOn } from '../helpers/instances.js';
import { BUS_CHANNEL, heartbeatMessage } from '../../src/invalidation/busMessage.js';

const HEARTBEAT_MS = 100;
/** Three heartbeats without a PONG, noticed at the next one, plus a margin for a busy loop. */
const SILENT_BOUND_MS = 4 * HEARTBEAT_MS + 400;
/** Trust in L1 comes back this long after the bus is (RESUME_AFTER_MS, invalidate.ts), and a little more. */
const RESUMED_MS = 3300;

let redis: TestRedis;
let database: TestDatabase;
let proxy: TcpProxy;
let a: TestGateway;
let b: TestGateway;
before(async () => {
  redis = await startTestRedis();
  database = await createTestDatabase({ scale: 0.05 });
  proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(redis.url).port) });
  const env = { BUS_HEARTBEAT_MS: String(HEARTBEAT_MS) };
  a = await startTestGateway({ database, redisUrl: redis.url, env });
  b = await startTestGateway({ database, redisUrl: `redis://127.0.0.1:${proxy.port}`, env });
});
after(async () => {
  await a?.stop();
  await b?.stop();
  await proxy?.close();
  await database?.drop();
  await redis?.stop();
});

const metric = metricOf;
const write = (id: number, title: string) => a.post(`mutation { updateCandidate(id: "${id}", input: { title: "${title}" }) { id } }`).then(dataOf);

/** B's L1 trusted again: its bus up for RESUMED_MS, and a read of `id` answered twice (the second from L1). */
async function settled(id: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, RESUMED_MS));
  await titleOn(b, id);
}

test('CLIENT KILL TYPE pubsub in the same instant as a write on A: B never reads back the old title', { timeout: 60_000 }, async () => {
  const id = 11;
  let stale = 0;
  const rounds = 5;
  for (let round = 0; round < rounds; round++) {
    await settled(id);
    const before = await titleOn(b, id);
    const title = `Killed bus ${round}`;
    const subscriptionsBefore = await metric(b, 'strata_bus_subscriptions');
    await Promise.all([redis.client.client('KILL', 'TYPE', 'pubsub'), write(id, title)]);
    for (let i = 0; i < 20; i++) if ((await titleOn(b, id)) !== title) stale++;
    assert.notEqual(before, title);
    await until(async () => (await metric(b, 'strata_bus_subscriptions')) > subscriptionsBefore, 'B subscribes again');
    assert.equal(await titleOn(b, id), title);
  }
  console.log(`  ${rounds} writes with every pubsub connection killed at once: ${stale} stale read-backs of ${rounds * 20}`);
  assert.equal(stale, 0);
});

test(`B's link to Redis black-holed: its L2 breaker opens, its bus heartbeat notices, no stale read later than ${SILENT_BOUND_MS} ms after the write`, { timeout: 60_000 }, async () => {
  const id = 12;
  await settled(id);
  assert.equal(await titleOn(b, id), await titleOn(b, id));
  const silencesBefore = await metric(b, 'strata_bus_losses{kind="silent"}');
  const openingsBefore = await metric(b, 'strata_l2_breaker_openings');
  proxy.blackHole();
  try {
    const title = 'Written while B hears nothing';
    await write(id, title);
    const writtenAt = performance.now();
    const staleAt: number[] = [];
    let reads = 0;
    while (performance.now() - writtenAt < 3 * SILENT_BOUND_MS) {
      reads++;
      if ((await titleOn(b, id)) !== title) staleAt.push(Math.round(performance.now() - writtenAt));
      // Other reads too: they time out on L2 and open B's breaker.
      await b.post(`{ movie(id: "${(reads % 300) + 1}") { id title } }`);
    }
    console.log(`  black-holed: ${staleAt.length} stale read-backs of ${reads} (${staleAt.slice(-3).join(', ') || 'none'} ms after the write)`);
    assert.ok(staleAt.every((t) => t <= SILENT_BOUND_MS), `stale read-backs later than ${SILENT_BOUND_MS} ms after the write: ${staleAt.filter((t) => t > SILENT_BOUND_MS).join(', ')} ms`);
    assert.ok((await metric(b, 'strata_bus_losses{kind="silent"}')) > silencesBefore, 'the heartbeat found the subscription silent');
    assert.ok((await metric(b, 'strata_l2_breaker_openings')) > openingsBefore, 'the L2 breaker opened');
  } finally {
    proxy.restore();
  }
  const subscriptions = await metric(b, 'strata_bus_subscriptions');
  await until(async () => (await metric(b, 'strata_bus_subscriptions')) > subscriptions || (await metric(b, 'strata_bus_subscriptions')) > 1, 'B subscribes again', 15_000);
  await settled(id);
  assert.equal(await titleOn(b, id), 'Written while B hears nothing');
});

test(`Redis frozen (SIGSTOP): both heartbeats notice, no stale read later than ${SILENT_BOUND_MS} ms after the write; A's write is delivered after SIGCONT`, { timeout: 60_000 }, async () => {
  const id = 13;
  await settled(id);
  await titleOn(b, id);
  const silences = [await metric(a, 'strata_bus_losses{kind="silent"}'), await metric(b, 'strata_bus_losses{kind="silent"}')];
  redis.freeze();
  let thawed = false;
  try {
    const title = 'Written while Redis was frozen';
    await write(id, title);
    const writtenAt = performance.now();
    const staleAt: number[] = [];
    while (performance.now() - writtenAt < 3 * SILENT_BOUND_MS) {
      for (const gw of [a, b]) if ((await titleOn(gw, id)) !== title) staleAt.push(Math.round(performance.now() - writtenAt));
    }
    console.log(`  frozen: ${staleAt.length} stale read-backs (${staleAt.slice(-3).join(', ') || 'none'} ms after the write)`);
    assert.ok(staleAt.every((t) => t <= SILENT_BOUND_MS), `stale read-backs later than ${SILENT_BOUND_MS} ms: ${staleAt.filter((t) => t > SILENT_BOUND_MS).join(', ')} ms`);
    assert.ok((await metric(a, 'strata_bus_losses{kind="silent"}')) > silences[0], 'A noticed');
    assert.ok((await metric(b, 'strata_bus_losses{kind="silent"}')) > silences[1], 'B noticed');
    redis.thaw();
    thawed = true;
    // The write's version reaches Redis once it answers again (A's redelivery).
    await until(async () => (await redis.client.exists('strata:tag:Candidate:13')) === 1, 'the version of Candidate:13 is in Redis', 10_000);
    await settled(id);
    assert.equal(await titleOn(b, id), title);
  } finally {
    if (!thawed) redis.thaw();
  }
});

test('a message lost while the connection stays up (a gap in a writer\'s sequence, a heartbeat ahead of what was heard) clears L1', { timeout: 30_000 }, async () => {
  await settled(14);
  const gaps = () => metric(b, 'strata_bus_losses{kind="gap"}');
  const before = await gaps();
  const l1 = b.gateway.services.cache.l1!;
  const message = (seq: number) => JSON.stringify({ id: `writer-x:${seq}`, from: 'writer-x', seq, startedAt: Date.now(), tags: ['Candidate:999'], entities: [] });
  await redis.client.publish(BUS_CHANNEL, message(1));
  await redis.client.publish(BUS_CHANNEL, message(2));
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(await gaps(), before, 'in sequence: nothing lost');
  await titleOn(b, 14);
  assert.ok(l1.bytes > 0);
  await redis.client.publish(BUS_CHANNEL, message(4)); // 3 never came
  await until(async () => (await gaps()) === before + 1, 'the gap is seen');
  assert.equal(l1.bytes, 0, 'L1 cleared');
  await titleOn(b, 14);
  assert.ok(l1.bytes > 0);
  await redis.client.publish(BUS_CHANNEL, heartbeatMessage('writer-x', 5)); // 5 was sent, never heard
  await until(async () => (await gaps()) === before + 2, 'the heartbeat ahead is seen');
  assert.equal(l1.bytes, 0, 'L1 cleared');
  await redis.client.publish(BUS_CHANNEL, heartbeatMessage('writer-x', 5));
  await redis.client.publish(BUS_CHANNEL, message(3)); // late: handled, not a gap
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(await gaps(), before + 2, 'a heartbeat that matches, and a late message, lose nothing');
});
