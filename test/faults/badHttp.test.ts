/**
 * Faults (issue 7, test 21): bad HTTP, against a gateway in its own process so a crash shows.
 * A 10 MB body, 1 MB of variables (POST and GET), malformed JSON, exotic charsets, a
 * simple-request GET without the preflight header, a batch while batching is off, broken
 * HTTP (oversized headers, bad framing, a body cut off mid-way), and 1,000 random bodies.
 * Counted: 5xx answers (0), crashes (0), errors without a code (0).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fc from 'fast-check';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gatewayProcess.js';
import { createTestDatabase, type TestDatabase } from '../helpers/testDb.js';

let database: TestDatabase;
let gw: GatewayProcess;
before(async () => {
  database = await createTestDatabase({ scale: 0.05 });
  gw = await startGatewayProcess({ databaseUrl: database.url });
});
after(async () => {
  await gw?.stop();
  await database?.drop();
});

const counts = { answers: 0, serverErrors: 0, uncoded: 0 };

/** Checks one answer: under 500, GraphQL-shaped, every error with a code; returns its codes. */
function check(status: number, text: string, what: string): string[] {
  counts.answers++;
  if (status >= 500) counts.serverErrors++;
  assert.ok(status < 500, `${what}: status ${status}: ${text.slice(0, 200)}`);
  let body: { errors?: Array<{ extensions?: { code?: unknown } }> };
  try {
    body = JSON.parse(text);
  } catch {
    assert.fail(`${what}: a body that is not JSON (status ${status}): ${text.slice(0, 200)}`);
  }
  const codes = (body.errors ?? []).map((error) => error.extensions?.code);
  counts.uncoded += codes.filter((code) => typeof code !== 'string').length;
  assert.ok(codes.every((code) => typeof code === 'string'), `${what}: an error without a code: ${text.slice(0, 300)}`);
  return codes as string[];
}

async function send(what: string, init: RequestInit & { search?: string }): Promise<{ status: number; codes: string[] }> {
  const res = await fetch(gw.url + (init.search ?? ''), init);
  const text = await res.text();
  return { status: res.status, codes: check(res.status, text, what) };
}

/** Writes `raw` on a socket of its own and reads the answer until the server closes or `ms` passes. */
async function sendRaw(raw: string | Buffer, options: { thenDestroy?: boolean; ms?: number } = {}): Promise<string> {
  const { port } = new URL(gw.url);
  const socket = net.connect(Number(port), '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk) => chunks.push(chunk));
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(raw);
  if (options.thenDestroy) {
    socket.destroy();
    return '';
  }
  await new Promise((resolve) => {
    socket.once('close', resolve);
    setTimeout(resolve, options.ms ?? 2000);
  });
  socket.destroy();
  return Buffer.concat(chunks).toString('latin1');
}

/** The status and body of a raw HTTP/1.1 answer, checked. */
function checkRaw(answer: string, what: string): { status: number; codes: string[] } {
  const match = /^HTTP\/1\.1 (\d{3})/.exec(answer);
  assert.ok(match, `${what}: no HTTP answer: ${JSON.stringify(answer.slice(0, 200))}`);
  const status = Number(match[1]);
  const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
  return { status, codes: check(status, body, what) };
}

const json = { 'content-type': 'application/json' };

test('a 10 MB body is a 413 PAYLOAD_TOO_LARGE', async () => {
  const body = JSON.stringify({ query: '{ genres }', padding: 'x'.repeat(10 * 1024 * 1024) });
  const { status, codes } = await send('10 MB body', { method: 'POST', headers: json, body });
  assert.equal(status, 413);
  assert.deepEqual(codes, ['PAYLOAD_TOO_LARGE']);
});

test('1 MB of variables is a 413 VARIABLES_TOO_LARGE over POST, and a coded 431 over GET (the URL is over the header limit)', async () => {
  const variables = { ids: Array.from({ length: 50_000 }, (_, i) => String(i)), pad: 'x'.repeat(600_000) };
  const posted = await send('1 MB variables over POST', { method: 'POST', headers: json, body: JSON.stringify({ query: 'query ($ids: [ID!]!) { movies(ids: $ids) { id } }', variables }) });
  assert.equal(posted.status, 413);
  assert.deepEqual(posted.codes, ['VARIABLES_TOO_LARGE']);
  const search = `?query=${encodeURIComponent('query ($ids: [ID!]!) { movies(ids: $ids) { id } }')}&variables=${encodeURIComponent(JSON.stringify(variables))}`;
  const got = checkRaw(await sendRaw(`GET /graphql${search} HTTP/1.1\r\nHost: x\r\napollo-require-preflight: 1\r\n\r\n`), '1 MB variables over GET');
  assert.equal(got.status, 431);
  assert.deepEqual(got.codes, ['REQUEST_HEADER_FIELDS_TOO_LARGE']);
});

test('malformed JSON, a batch while batching is off, a body that is not an object: 400 with their codes', async () => {
  for (const [body, code] of [
    ['{"query": "{ genres }"', 'BAD_REQUEST'],
    ['{"query": "{ genres }"}}', 'BAD_REQUEST'],
    ['\u0000\u0001', 'BAD_REQUEST'],
    ['[{"query": "{ genres }"}, {"query": "{ genres }"}]', 'BATCHING_NOT_SUPPORTED'],
    ['"{ genres }"', 'BAD_REQUEST'],
    ['{"query": 42}', 'BAD_REQUEST'],
    ['{"query": "{ genres }", "variables": [1]}', 'BAD_REQUEST'],
  ]) {
    const { status, codes } = await send(body, { method: 'POST', headers: json, body });
    assert.equal(status, 400, body);
    assert.deepEqual(codes, [code], body);
  }
});

test('an exotic charset is a 415 that says to send UTF-8; UTF-8 spelled any way is served', async () => {
  const query = JSON.stringify({ query: '{ genres }' });
  for (const [charset, body] of [
    ['utf-16le', Buffer.from(query, 'utf16le')],
    ['iso-8859-1', Buffer.from(query, 'latin1')],
    ['x-klingon', Buffer.from(query)],
  ] as const) {
    const { status, codes } = await send(charset, { method: 'POST', headers: { 'content-type': `application/json; charset=${charset}` }, body: body });
    assert.equal(status, 415, charset);
    assert.deepEqual(codes, ['UNSUPPORTED_MEDIA_TYPE'], charset);
  }
  for (const charset of ['utf-8', 'UTF-8', '"utf-8"', 'utf8']) {
    const { status, codes } = await send(charset, { method: 'POST', headers: { 'content-type': `application/json; charset=${charset}` }, body: query });
    assert.equal(status, 200, charset);
    assert.deepEqual(codes, [], charset);
  }
});

test('a simple-request GET without a preflight header is refused (CSRF); with one it is served', async () => {
  const search = `?query=${encodeURIComponent('{ genres }')}`;
  const refused = await send('GET without preflight', { method: 'GET', search });
  assert.equal(refused.status, 400);
  assert.deepEqual(refused.codes, ['BAD_REQUEST']);
  const served = await send('GET with preflight', { method: 'GET', search, headers: { 'apollo-require-preflight': 'true' } });
  assert.equal(served.status, 200);
});

test('broken HTTP: oversized headers, bad framing, a body cut off mid-way, a client gone before the answer', async () => {
  const headers = checkRaw(await sendRaw(`POST /graphql HTTP/1.1\r\nHost: x\r\nx-big: ${'y'.repeat(64 * 1024)}\r\n\r\n`), 'oversized header');
  assert.equal(headers.status, 431);
  const framing = checkRaw(await sendRaw('POST /graphql HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n'), 'bad chunk size');
  assert.equal(framing.status, 400);
  assert.deepEqual(framing.codes, ['BAD_REQUEST']);
  const garbage = checkRaw(await sendRaw('\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003 not http\r\n\r\n'), 'a TLS hello on plain HTTP');
  assert.equal(garbage.status, 400);
  // A body announced as 1,000 bytes that stops after 20, its client gone; and a client gone before the answer.
  for (let i = 0; i < 50; i++) {
    await sendRaw('POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"query": "{ genres', { thenDestroy: true });
    await sendRaw('POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 22\r\n\r\n{"query": "{ genres }"}', { thenDestroy: true });
  }
  assert.equal((await send('after the broken ones', { method: 'POST', headers: json, body: JSON.stringify({ query: '{ genres }' }) })).status, 200);
});

test('1,000 random bodies under random content types and methods: no 5xx, every error coded', async () => {
  const contentTypes = ['application/json', 'application/json; charset=utf-8', 'application/graphql-response+json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', 'application/json; charset=utf-16', ''];
  const bodies = fc.oneof(
    fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes)),
    fc.string({ maxLength: 2048 }).map((text) => Buffer.from(text)),
    fc.jsonValue({ maxDepth: 4 }).map((value) => Buffer.from(JSON.stringify(value) ?? 'null')),
    fc.record({ query: fc.string({ maxLength: 200 }), variables: fc.jsonValue({ maxDepth: 2 }), operationName: fc.oneof(fc.string(), fc.constant(null)), extensions: fc.jsonValue({ maxDepth: 2 }) }).map((value) => Buffer.from(JSON.stringify(value))),
  );
  await fc.assert(
    fc.asyncProperty(bodies, fc.constantFrom(...contentTypes), fc.constantFrom('POST', 'PUT', 'DELETE', 'PATCH'), fc.boolean(), async (body, contentType, method, preflight) => {
      const headers: Record<string, string> = {};
      if (contentType) headers['content-type'] = contentType;
      if (preflight) headers['apollo-require-preflight'] = 'true';
      await send(`${method} ${contentType} ${body.toString('latin1').slice(0, 100)}`, { method, headers, body });
    }),
    { numRuns: 1000 },
  );
});

test('and after all of it: the process never crashed, answered every request under 500, every error with a code', async () => {
  process.kill(gw.pid, 0); // throws if the gateway exited
  assert.equal((await fetch(gw.url.replace(/\/graphql$/, '/health'))).status, 200);
  assert.equal(counts.serverErrors, 0);
  assert.equal(counts.uncoded, 0);
  assert.ok(counts.answers > 1000, `${counts.answers} answers checked`);
});
