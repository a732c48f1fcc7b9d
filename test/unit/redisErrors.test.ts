/**
 * connectionClosed (src/redis/connect.ts) tells a command that met a closed connection from one
 * Redis did not answer in time: the errors are ioredis's own, from real sockets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { connectionClosed } from '../../src/redis/connect.js';
import { withDeadline } from '../../src/cache/deadline.js';
import { freePort } from '../helpers/ports.js';

const failureOf = (work: Promise<unknown>) => work.then(() => assert.fail('the command succeeded'), (err: Error) => err);

test('a command on a connection that was refused, or has closed, is a closed connection', async () => {
  const port = await freePort();
  const client = () => {
    const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    redis.on('error', () => undefined);
    return redis;
  };
  const refused = await failureOf(client().connect());
  assert.ok(connectionClosed(refused), refused.message);
  const gone = client();
  await gone.connect().catch(() => undefined);
  const onClosed = await failureOf(gone.get('k'));
  assert.ok(connectionClosed(onClosed), onClosed.message);
});

test('a command Redis never answered is not a closed connection: Redis may be silent for everyone', async () => {
  // Accepts and never answers, like a frozen server.
  const held: Socket[] = [];
  const silent = createServer((socket) => void held.push(socket)).listen(0, '127.0.0.1');
  await new Promise((resolve) => silent.once('listening', resolve));
  const port = (silent.address() as { port: number }).port;
  const redis = new Redis({ port, host: '127.0.0.1', enableReadyCheck: false, commandTimeout: 50, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    const timedOut = await failureOf(redis.get('k'));
    assert.equal(connectionClosed(timedOut), false, timedOut.message);
    const pastDeadline = await failureOf(withDeadline(new Promise(() => undefined), 10, 'get'));
    assert.equal(connectionClosed(pastDeadline), false, pastDeadline.message);
  } finally {
    redis.disconnect();
    held.forEach((socket) => socket.destroy());
    silent.close();
  }
});
