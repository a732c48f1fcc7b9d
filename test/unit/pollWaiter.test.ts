/**
 * The bus's wait before a request is served (pollWaiter.ts): whatever sat in a socket when a
 * caller asked has been read when its wait ends, for every caller sharing the wait.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { pollWaiter } from '../../src/invalidation/pollWaiter.js';

test('callers of one loop turn share a wait; each finds what was in its socket before it asked read', async () => {
  let received = '';
  let accepted!: () => void;
  const reading = new Promise<void>((resolve) => (accepted = resolve));
  const server = createServer((socket) => {
    socket.on('data', (chunk) => (received += chunk));
    accepted();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  // Both ends open, the server's read from, as the bus's subscription is.
  await Promise.all([reading, new Promise((resolve) => client.once('connect', resolve))]);
  const wait = pollWaiter();

  for (let round = 1; round <= 3; round++) {
    // Written before asking (the write reaches the kernel at once), in the same turn as the asking.
    await new Promise<void>((resolve) => client.write(`a${round}`, () => resolve()));
    const first = wait();
    client.write(`b${round}`);
    const second = wait();
    assert.equal(first, second, 'one wait for the callers of a turn');
    await first;
    assert.ok(received.endsWith(`a${round}b${round}`), `round ${round}: read ${JSON.stringify(received)}`);
  }
  // After the shared wait's first immediate, a caller gets a wait of its own.
  const early = wait();
  await new Promise((resolve) => setImmediate(resolve));
  assert.notEqual(wait(), early);
  await early;
  client.destroy();
  server.close();
});
