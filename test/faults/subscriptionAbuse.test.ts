/**
 * Faults (issue 7, test 22): subscription abuse, over raw graphql-transport-ws sockets against
 * an in-process gateway. Each misuse ends as the protocol says (subscribe before init 4401,
 * no init 4408, a rejected token 4403, a duplicate id 4409, an oversized frame 1009, a token
 * expiring mid-stream 4403), an operation over the per-socket cap or over the query limits is
 * refused with its code and runs nothing, and a reader that never reads while 100,000
 * announcements fire is cut off (SUBSCRIBER_TOO_SLOW) with its memory released, while a
 * reader that keeps pace hears every one, in order.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../helpers/gateway.js';
import { tapStatements } from '../helpers/statements.js';
import { until } from '../helpers/until.js';
import { signToken } from '../../src/auth/jwt.js';
import { FEED_QUEUE_LIMIT } from '../../src/invalidation/feed.js';
import type { InvalidatedEntity } from '../../src/invalidation/events.js';

const INIT_TIMEOUT_MS = 400;
const MAX_OPERATIONS = 100;

let gw: TestGateway;
before(async () => {
  gw = await startTestGateway({ env: { WS_INIT_TIMEOUT_MS: String(INIT_TIMEOUT_MS), WS_MAX_OPERATIONS: String(MAX_OPERATIONS) } });
});
after(async () => {
  await gw?.stop();
});

interface Message {
  type: string;
  id?: string;
  payload?: any;
}

/** A graphql-transport-ws socket spoken by hand: what it heard, and how it closed. */
interface RawSocket {
  ws: WebSocket;
  messages: Message[];
  closed: Promise<{ code: number; reason: string }>;
  send(message: Message): void;
  /** Sends connection_init and waits for the ack. */
  init(payload?: Record<string, unknown>): Promise<void>;
}

async function openSocket(): Promise<RawSocket> {
  const ws = new WebSocket(gw.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const messages: Message[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data))));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const socket: RawSocket = {
    ws,
    messages,
    closed,
    send: (message) => ws.send(JSON.stringify(message)),
    async init(payload) {
      socket.send({ type: 'connection_init', ...(payload ? { payload } : {}) });
      await until(() => messages.some((m) => m.type === 'connection_ack'), 'the connection is acknowledged');
    },
  };
  return socket;
}

const SUBSCRIBE = 'subscription { cacheInvalidated { typename id reason } }';
const subscribe = (socket: RawSocket, id: string, query = SUBSCRIBE) => socket.send({ type: 'subscribe', id, payload: { query } });
const feed = () => gw.gateway.services.feed;

/** Closed within `withinMs`, with `code`. */
async function closesWith(socket: RawSocket, code: number, withinMs: number): Promise<string> {
  const outcome = await Promise.race([socket.closed, new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), withinMs))]);
  assert.notEqual(outcome, 'open', `still open after ${withinMs} ms; expected close ${code}`);
  const { code: actual, reason } = outcome as { code: number; reason: string };
  assert.equal(actual, code, `closed ${actual} (${reason}); expected ${code}`);
  return reason;
}

test('subscribe before connection_init: closed 4401', async () => {
  const socket = await openSocket();
  subscribe(socket, '1');
  await closesWith(socket, 4401, 2000);
});

test('no connection_init in WS_INIT_TIMEOUT_MS: closed 4408', async () => {
  const socket = await openSocket();
  await closesWith(socket, 4408, INIT_TIMEOUT_MS + 2000);
});

test('a token that is rejected (another secret, expired, not a token): closed 4403; no token is an anonymous caller', async () => {
  const tokens = [await signToken(3, 'another-secret'), await signToken(3, TEST_JWT_SECRET, '-10s'), 'not-a-token'];
  for (const token of tokens) {
    const socket = await openSocket();
    socket.send({ type: 'connection_init', payload: { Authorization: `Bearer ${token}` } });
    await closesWith(socket, 4403, 2000);
  }
  const anonymous = await openSocket();
  await anonymous.init();
  anonymous.send({ type: 'subscribe', id: 'me', payload: { query: '{ me { id } }' } });
  await until(() => anonymous.messages.some((m) => m.id === 'me' && m.type !== 'connection_ack'), 'me answered');
  const answer = anonymous.messages.find((m) => m.id === 'me')!;
  assert.equal(answer.payload.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', JSON.stringify(answer));
  anonymous.ws.close();
});

test('a second subscribe with an id in use: closed 4409', async () => {
  const socket = await openSocket();
  await socket.init();
  subscribe(socket, 'same');
  subscribe(socket, 'same');
  await closesWith(socket, 4409, 2000);
  await until(() => feed().subscriberCount === 0, 'the first subscription is released');
});

test('a frame over MAX_BODY_KB: closed 1009, and the gateway keeps serving', async () => {
  const socket = await openSocket();
  await socket.init();
  socket.send({ type: 'subscribe', id: 'big', payload: { query: `{ genres } # ${'x'.repeat(1024 * 1024)}` } });
  await closesWith(socket, 1009, 5000);
  assert.deepEqual((await gw.post('{ movie(id: "1") { id } }')).body.data, { movie: { id: '1' } });
});

test(`10,000 subscriptions on one socket: ${MAX_OPERATIONS} open, the rest refused with TOO_MANY_OPERATIONS; the socket stays usable`, async () => {
  const socket = await openSocket();
  await socket.init();
  for (let i = 0; i < 10_000; i++) subscribe(socket, String(i));
  const refused = () => socket.messages.filter((m) => m.type === 'error' && m.payload?.[0]?.extensions?.code === 'TOO_MANY_OPERATIONS').length;
  await until(() => refused() === 10_000 - MAX_OPERATIONS, `${10_000 - MAX_OPERATIONS} refusals`, 30_000);
  assert.equal(feed().subscriberCount, MAX_OPERATIONS);
  assert.equal(socket.messages.filter((m) => m.type === 'error').length, 10_000 - MAX_OPERATIONS, 'no other errors');

  // The open ones still hear announcements; completing one makes room for another.
  feed().announce([{ typename: 'Movie', id: '1', reason: 'MovieUpdated', at: new Date() }]);
  await until(() => socket.messages.filter((m) => m.type === 'next').length === MAX_OPERATIONS, 'every open subscription heard it');
  socket.send({ type: 'complete', id: '0' });
  await until(() => feed().subscriberCount === MAX_OPERATIONS - 1, 'the completed one is released');
  subscribe(socket, 'again');
  await until(() => feed().subscriberCount === MAX_OPERATIONS, 'a new one fits');
  socket.ws.close();
  await until(() => feed().subscriberCount === 0, 'all released when the socket closes');
});

test('query bombs over the socket are refused with their code before any SQL runs', async () => {
  const socket = await openSocket();
  await socket.init();
  const tap = tapStatements(gw.database.db);
  try {
    const deep = `{ movie(id: "1") { ${'recommendations(n: 1) { movie { '.repeat(30)} id ${'} } '.repeat(30)} } }`;
    const aliases = `{ ${Array.from({ length: 5000 }, (_, i) => `a${i}: genres`).join(' ')} }`;
    const cases: Array<[string, string]> = [
      [deep, 'QUERY_TOO_DEEP'],
      [aliases, 'TOO_MANY_ALIASES'],
      ['{ topMatches(candidateId: "1", limit: 100000) { score job { id title company { id name jobs { id } } } } }', 'QUERY_TOO_COSTLY'],
    ];
    for (const [i, [query]] of cases.entries()) socket.send({ type: 'subscribe', id: `bomb${i}`, payload: { query } });
    await until(() => cases.every((_, i) => socket.messages.some((m) => m.id === `bomb${i}` && m.type === 'error')), 'every bomb refused', 10_000);
    for (const [i, [, code]] of cases.entries()) {
      const error = socket.messages.find((m) => m.id === `bomb${i}` && m.type === 'error')!;
      assert.equal(error.payload[0].extensions.code, code, JSON.stringify(error).slice(0, 300));
    }
    assert.equal(tap.statements.length, 0, `statements ran: ${tap.statements.slice(0, 3).join(' | ')}`);
  } finally {
    tap.remove();
  }
  subscribe(socket, 'after', '{ movie(id: "2") { id } }');
  await until(() => socket.messages.some((m) => m.id === 'after' && m.type === 'next'), 'the next operation answered');
  assert.deepEqual(socket.messages.find((m) => m.id === 'after' && m.type === 'next')!.payload.data, { movie: { id: '2' } });
  socket.ws.close();
});

test('a token that expires mid-stream: the socket is closed 4403 at its expiry', async () => {
  const socket = await openSocket();
  await socket.init({ Authorization: `Bearer ${await signToken(5, TEST_JWT_SECRET, '2s')}` });
  subscribe(socket, 'live');
  await until(() => feed().subscriberCount === 1, 'subscribed');
  const started = Date.now();
  const reason = await closesWith(socket, 4403, 5000);
  assert.match(reason, /expired/);
  // jose's exp has whole seconds: the close comes 1–2 s after the subscription.
  assert.ok(Date.now() - started <= 3000, `closed ${Date.now() - started} ms after subscribing`);
  await until(() => feed().subscriberCount === 0, 'its subscription is released');
});

test('100,000 announcements: a reader that never reads is cut off (SUBSCRIBER_TOO_SLOW) and its memory released; a reader that reads hears every one, in order', async () => {
  const TOTAL = 100_000;
  const BURST = 500;
  const fast = await openSocket();
  await fast.init();
  let fastHeard = 0;
  let outOfOrder = 0;
  // The reading subscriber keeps only a count: its 100,000 messages are not held.
  fast.ws.removeAllListeners('message');
  fast.ws.on('message', (data) => {
    const message = JSON.parse(String(data));
    if (message.type !== 'next') return;
    if (message.payload.data.cacheInvalidated.id !== `${fastHeard}${PADDING}`) outOfOrder++;
    fastHeard++;
  });
  subscribe(fast, 'fast');

  const slow = await openSocket();
  await slow.init();
  subscribe(slow, 'slow');
  await until(() => feed().subscriberCount === 2, 'both subscribed');
  // It stops reading: the kernel's buffers fill, then the gateway's sends wait, then its feed queue grows.
  slow.ws.pause();

  let mostQueued = 0;
  const at = new Date();
  for (let sent = 0; sent < TOTAL; sent += BURST) {
    const burst: InvalidatedEntity[] = [];
    for (let i = sent; i < sent + BURST; i++) burst.push({ typename: 'Job', id: `${i}${PADDING}`, reason: 'JobUpdated', at });
    feed().announce(burst);
    mostQueued = Math.max(mostQueued, feed().queued);
    await until(() => fastHeard === sent + BURST, `the reading subscriber heard ${sent + BURST}`, 10_000);
  }
  assert.equal(fastHeard, TOTAL);
  assert.equal(outOfOrder, 0);
  assert.equal(feed().tooSlow, 1, 'the reader that never reads was cut off');
  assert.equal(feed().subscriberCount, 1, 'only the reading subscriber is left');
  assert.ok(mostQueued <= FEED_QUEUE_LIMIT + BURST, `at most ${FEED_QUEUE_LIMIT + BURST} announcements waited at once; ${mostQueued} did`);

  // When it reads again, it learns why its subscription ended.
  slow.ws.resume();
  await until(() => slow.messages.some((m) => m.id === 'slow' && m.type === 'error'), 'the slow reader hears its error', 10_000);
  const error = slow.messages.find((m) => m.id === 'slow' && m.type === 'error')!;
  assert.equal(error.payload[0].extensions.code, 'SUBSCRIBER_TOO_SLOW');
  const heardBeforeCut = slow.messages.filter((m) => m.type === 'next').length;
  assert.ok(heardBeforeCut < TOTAL, `it heard ${heardBeforeCut} before it was cut off`);
  fast.ws.close();
  slow.ws.close();
});

/** Makes each announcement ~300 bytes, so a reader that stops reading fills the kernel's buffers early. */
const PADDING = '-'.repeat(250);
