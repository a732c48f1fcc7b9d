/**
 * Faults (issue 7, test 7): Redis killed under steady load for 10 s, then restarted empty on
 * the same port. Two gateway processes over the test's own database and redis-server take a
 * steady mix of reads and writes from 16 closed-loop clients throughout. Counted: failed
 * requests (0), the slowest request (under the hang bound), the gateways' memory growth, stale
 * read-backs after writes (none later than STALE_WINDOW_MS after the kill: while its bus is
 * down an instance trusts no L1), and L2 hits after the restart (> 0: L2 is used again by itself).
 * Then: a write made while Redis is dead reaches Redis once it is back (redelivery).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startDeployment, type GatewayProcess, type TestDeployment } from '../helpers/gatewayProcess.js';
import { dataOf } from '../helpers/gateway.js';
import { until } from '../helpers/until.js';
import { BUS_CHANNEL } from '../../src/invalidation/busMessage.js';

const DOWN_MS = 10_000;
const HANG_BOUND_MS = 2_000;
/** How long after Redis dies an instance may still trust its L1: until it notices its bus is gone. */
const STALE_WINDOW_MS = 1_000;
let deployment: TestDeployment;
let a: GatewayProcess;
let b: GatewayProcess;
before(async () => {
  deployment = await startDeployment(2);
  [a, b] = deployment.instances;
});
after(async () => {
  await deployment?.stop();
});

const rss = (gw: GatewayProcess) => gw.metric('strata_process_process_resident_memory_bytes');
const l2Hits = async (gw: GatewayProcess) => {
  const text = await (await fetch(gw.url.replace(/\/graphql$/, '/metrics'))).text();
  return text.split('\n').filter((line) => line.startsWith('cache_hits_total{level="l2"')).reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
};

test(`Redis killed for ${DOWN_MS / 1000} s under steady load: no failed request, none over ${HANG_BOUND_MS} ms, no stale read once the bus is known down; L2 comes back`, { timeout: 120_000 }, async () => {
  let running = true;
  let requests = 0;
  let failed = 0;
  /** When each stale read-back was seen (ms since the start). */
  const staleAt: number[] = [];
  let killedAt = Infinity;
  const began = performance.now();
  let slowest = 0;
  const failures: string[] = [];
  const send = async (gw: GatewayProcess, query: string) => {
    const started = performance.now();
    const response = await gw.post(query).catch((err: Error) => ({ status: 0, body: { errors: [{ message: err.message }] } }) as Awaited<ReturnType<GatewayProcess['post']>>);
    slowest = Math.max(slowest, performance.now() - started);
    requests++;
    if (response.status !== 200 || response.body.errors) {
      failed++;
      if (failures.length < 5) failures.push(JSON.stringify(response.body.errors ?? response.status));
    }
    return response;
  };
  const client = async (n: number) => {
    for (let i = 0; running; i++) {
      const gw = (n + i) % 2 ? a : b;
      if (n < 2 && i % 10 === 0) {
        // A write, then its read-back on both instances.
        const id = 10 + n;
        const title = `Under a dead Redis ${n}-${i}`;
        await send(gw, `mutation { updateCandidate(id: "${id}", input: { title: "${title}" }) { id } }`);
        for (const other of [a, b]) {
          const seen = await send(other, `{ candidate(id: "${id}") { title } }`);
          if (seen.body.data?.candidate?.title !== title) staleAt.push(performance.now() - began);
        }
      } else {
        await send(gw, `{ movie(id: "${((n * 31 + i) % 400) + 1}") { id title ratingCount } }`);
      }
    }
  };
  const rssBefore = Math.max(await rss(a), await rss(b));
  const load = Promise.all(Array.from({ length: 16 }, (_, n) => client(n)));
  await new Promise((resolve) => setTimeout(resolve, 1500));
  killedAt = performance.now() - began;
  await deployment.redis.kill();
  await new Promise((resolve) => setTimeout(resolve, DOWN_MS));
  await deployment.redis.restart();
  await new Promise((resolve) => setTimeout(resolve, 3000));
  running = false;
  await load;
  const growth = Math.max(await rss(a), await rss(b)) - rssBefore;

  // L2 used again: what one instance loads, the other reads from Redis.
  const hitsBefore = await l2Hits(b);
  const deadline = Date.now() + 15_000;
  for (let id = 450; (await l2Hits(b)) === hitsBefore; id++) {
    assert.ok(Date.now() < deadline, 'no L2 hit within 15 s of the restart');
    await a.post(`{ movie(id: "${id}") { id } }`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await b.post(`{ movie(id: "${id}") { id } }`);
  }
  console.log(
    `  ${requests} requests with Redis killed for ${DOWN_MS / 1000} s: ${failed} failed, slowest ${Math.round(slowest)} ms, ` +
      `${staleAt.length} stale read-backs (${staleAt.map((t) => `${Math.round(t - killedAt)} ms`).join(', ') || 'none'} after the kill), resident memory +${Math.round(growth / 2 ** 20)} MB; L2 hits again after the restart`,
  );
  assert.equal(failed, 0, failures.join('\n'));
  // A write acknowledged in the instant Redis dies cannot reach the other instance, which
  // serves its L1 until it notices its bus connection is gone; from then on it trusts no L1,
  // until its bus is back and every instance has had time to reconnect (invalidate.ts).
  const late = staleAt.filter((t) => t < killedAt || t > killedAt + STALE_WINDOW_MS);
  assert.deepEqual(late, [], `stale read-backs outside the ${STALE_WINDOW_MS} ms after the kill`);
  assert.ok(slowest < HANG_BOUND_MS, `slowest request ${Math.round(slowest)} ms`);
  assert.ok(growth < 256 * 2 ** 20, `memory grew by ${Math.round(growth / 2 ** 20)} MB`);
});

test('an invalidation Redis could not take is delivered once Redis is back: the new version set, the message published', { timeout: 60_000 }, async () => {
  await deployment.redis.kill();
  dataOf(await a.post('mutation { updateCandidate(id: "20", input: { title: "Written while Redis was dead" }) { id } }'));
  await deployment.redis.restart();
  const listener = new Redis(deployment.redis.url);
  const heard: string[] = [];
  await listener.subscribe(BUS_CHANNEL);
  listener.on('message', (_channel, message) => heard.push(message));
  try {
    await until(() => heard.some((message) => message.includes('Candidate:20')), 'the invalidation is published once Redis is back', 10_000);
    assert.ok(await deployment.redis.client.exists('strata:tag:Candidate:20'), 'the new version of Candidate:20 is in Redis');
  } finally {
    await listener.quit();
  }
});
