/**
 * When a write answers, every other instance's socket already holds its bus message. Redis
 * does not promise that by itself: it writes the replies of one loop turn last-queued first,
 * so a publisher whose answer was queued last (a PUBLISH alone: a heartbeat, or on a cluster
 * the SPUBLISH after the versions' round trip) is answered before the message reaches the
 * subscribers, the first subscribed last, and a client told of the write may ask another
 * instance before that instance could have heard. The chaos soak on a cluster saw it, about
 * once in 30,000 writes; here 2,000 other subscribers on the channel (held by a child
 * process, reading nothing) make the gap tens of milliseconds: without L2.delivered, on a
 * cluster 20 of 20 writes and 19 of 20 heartbeats answered before their message was in.
 *
 * An instance's subscriber connection (busConnection.ts, in this process as in a gateway) is
 * subscribed first; then, for each write of new versions with its message (L2.setVersions)
 * and each heartbeat (L2.publish): once the call resolves and this process has polled its
 * sockets (bus.caughtUp's two turns), the message must have been heard.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { L2 } from '../../src/cache/l2.js';
import { connectSubscriber, type BusSubscriber } from '../../src/invalidation/busConnection.js';
import { BUS_CHANNEL } from '../../src/invalidation/busMessage.js';
import { pollWaiter } from '../../src/invalidation/pollWaiter.js';
import type { RedisTarget } from '../../src/redis/connect.js';
import { startTestRedis, redisEnv, type TestRedis } from '../helpers/testRedis.js';
import { until } from '../helpers/until.js';

const CROWD = 2000;
let redis: TestRedis;
let target: RedisTarget;
let l2: L2;
let subscriber: BusSubscriber;
let crowd: ChildProcess | undefined;
const heard = new Set<string>();

before(async () => {
  redis = await startTestRedis();
  const env = redisEnv(redis.url);
  target = env.REDIS_URL ? { url: env.REDIS_URL } : { clusterNodes: env.REDIS_CLUSTER_NODES.split(',').map((node) => `redis://${node}`) };
  l2 = new L2({ target, commandTimeoutMs: 5000, breakerThreshold: 1000, breakerOpenMs: 1, versionTtlMs: 60_000 });
  subscriber = connectSubscriber(target, 'test-bus-delivery');
  subscriber.onMessage((text) => heard.add(text));
  await new Promise<void>((resolve) => subscriber.redis.once('ready', () => resolve()));
  await subscriber.subscribe();
  crowd = await crowdTheChannel();
});
after(async () => {
  crowd?.kill();
  subscriber?.redis.disconnect();
  await l2?.close();
  await redis?.stop();
});

/** A child process with CROWD connections subscribed to the bus channel (on a cluster, at every master: the channel's takes them), reading nothing. */
async function crowdTheChannel(): Promise<ChildProcess> {
  const ports = redis.cluster ? (await redis.cluster.masters()).map((m) => m.port) : [Number(new URL(redis.url).port)];
  const command = `${redis.cluster ? 'SSUBSCRIBE' : 'SUBSCRIBE'} ${BUS_CHANNEL}\r\n`;
  const script = `
    const net = require('node:net');
    const sockets = [];
    for (let i = 0; i < ${CROWD}; i++) for (const port of ${JSON.stringify(ports)}) {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.write(${JSON.stringify(command)});
      sockets.push(socket);
    }
    // Once subscribed, nothing more is read: messages wait in the kernel.
    setTimeout(() => sockets.forEach((socket) => socket.pause()), 1000);
    setInterval(() => undefined, 60_000);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
  const numsub = redis.cluster ? 'SHARDNUMSUB' : 'NUMSUB';
  const subscribers = async () => {
    let sum = 0;
    for (const node of redis.cluster ? await redis.cluster.masters() : []) sum += Number(((await node.client.call('PUBSUB', numsub, BUS_CHANNEL)) as [string, number])[1]);
    if (!redis.cluster) sum = Number(((await redis.client.call('PUBSUB', numsub, BUS_CHANNEL)) as [string, number])[1]);
    return sum;
  };
  await until(async () => (await subscribers()) > CROWD, `${CROWD} more subscribers on the bus channel`, 20_000);
  await new Promise((resolve) => setTimeout(resolve, 1000)); // and their reading paused
  return child;
}

/** What a gateway does before serving a request (bus.caughtUp): one poll of every socket. */
const caughtUp = pollWaiter();

test(`a write's new versions and message, with ${CROWD} other subscribers on the channel: heard once setVersions resolves, 20 of 20`, async () => {
  let late = 0;
  for (let n = 0; n < 20; n++) {
    const text = `write ${n}`;
    await l2.setVersions([{ key: `strata:test:bus-delivery:tag:${n}`, version: `v${n}` }], { channel: BUS_CHANNEL, text: () => text });
    await caughtUp();
    if (!heard.has(text)) late++;
  }
  assert.equal(late, 0, `${late} of 20 messages were not in the subscriber's socket when the write answered`);
});

test(`a heartbeat (withholding writes) with ${CROWD} other subscribers on the channel: heard once publish resolves, 20 of 20`, async () => {
  let late = 0;
  for (let n = 0; n < 20; n++) {
    const text = `heartbeat ${n}`;
    await l2.publish(BUS_CHANNEL, text);
    await caughtUp();
    if (!heard.has(text)) late++;
  }
  assert.equal(late, 0, `${late} of 20 heartbeats were not in the subscriber's socket when publish resolved`);
});
