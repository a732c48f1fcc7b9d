/** The HTTP surface: Cache-Control from @cacheControl, caller identity, errors before GraphQL, and the side routes. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { startTestGateway, codesOf, dataOf, TEST_JWT_SECRET, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
before(async () => {
  gw = await startTestGateway();
});
after(async () => {
  await gw.stop();
});

describe('Cache-Control follows the schema hints', () => {
  test('a movie is public for 24 hours', async () => {
    const res = await gw.post('{ movie(id: "1") { id title } }');
    assert.equal(res.headers.get('cache-control'), 'public, max-age=86400');
  });
  test('the response takes the smallest maxAge of its fields', async () => {
    const res = await gw.post('{ movie(id: "1") { id } popularMovies(limit: 2) { id } user(id: "1") { name } }');
    assert.equal(res.headers.get('cache-control'), 'public, max-age=1800');
  });
  test('me makes the response private', async () => {
    const res = await gw.post('{ me { id name } }', {}, { userId: 3 });
    dataOf(res);
    assert.equal(res.headers.get('cache-control'), 'private, max-age=1800');
  });
  test('mutations are no-store', async () => {
    const res = await gw.post('mutation { updateJob(id: "4", input: { remote: true }) { id } }');
    dataOf(res);
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });
  test('responses with errors are no-store', async () => {
    const res = await gw.post('{ match(candidateId: "999999", jobId: "1") { score } }');
    assert.deepEqual(codesOf(res), ['NOT_FOUND']);
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });
});

describe('HTTP caching for browsers and CDNs', () => {
  const get = (query: string, headers: Record<string, string> = {}) =>
    fetch(`${gw.url}?query=${encodeURIComponent(query)}`, { headers: { 'apollo-require-preflight': 'true', ...headers } });

  test('a PUBLIC answer varies on what changes it, never on the caller', async () => {
    const res = await get('{ movie(id: "2") { title } }');
    assert.equal(res.headers.get('cache-control'), 'public, max-age=86400');
    assert.equal(res.headers.get('vary'), 'accept, x-cache-debug');
  });
  test('a PRIVATE answer varies on Authorization too', async () => {
    const res = await get('{ user(id: "3") { name email } }');
    assert.equal(res.headers.get('cache-control'), 'private, max-age=1800');
    assert.equal(res.headers.get('vary'), 'accept, authorization, x-cache-debug');
  });
  test('an answer with x-cache-debug describes its own request: no-store', async () => {
    const res = await get('{ movie(id: "2") { title } }', { 'x-cache-debug': '1' });
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.headers.get('etag'), null);
  });
  test('a 304 repeats the caching headers and sends no body', async () => {
    const first = await get('{ movie(id: "6") { title } }');
    const again = await get('{ movie(id: "6") { title } }', { 'if-none-match': `W/${first.headers.get('etag')}` });
    assert.equal(again.status, 304);
    assert.equal(again.headers.get('etag'), first.headers.get('etag'));
    assert.equal(again.headers.get('cache-control'), 'public, max-age=86400');
    assert.equal(again.headers.get('vary'), 'accept, x-cache-debug');
    assert.equal(await again.text(), '');
  });
  test('a GET answered from the tier by its query string carries every header of the answer that ran, and 304s alike', async () => {
    const query = '{ movie(id: "8") { title } }';
    // The first runs; the second is served from the tier and remembers its query string; the
    // third is answered by the query string alone, its headers written at once (responseTier.ts serveSeen).
    const ran = await get(query);
    const body = await ran.text();
    await (await get(query)).text();
    const seen = await get(query, { 'x-request-id': 'seen-get-1' });
    assert.equal(await seen.text(), body);
    for (const name of ['content-type', 'cache-control', 'vary', 'etag', 'access-control-allow-origin', 'access-control-expose-headers']) {
      assert.equal(seen.headers.get(name), ran.headers.get(name), name);
    }
    assert.equal(seen.headers.get('x-request-id'), 'seen-get-1');
    assert.match(seen.headers.get('age') ?? '', /^\d+$/, 'answered from the tier');
    assert.equal(seen.headers.get('content-length'), String(Buffer.byteLength(body)));
    assert.equal(seen.headers.get('transfer-encoding'), null);
    const notModified = await get(query, { 'if-none-match': ran.headers.get('etag')! });
    assert.equal(notModified.status, 304);
    assert.equal(notModified.headers.get('etag'), ran.headers.get('etag'));
    assert.equal(notModified.headers.get('cache-control'), 'public, max-age=86400');
    assert.match(notModified.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(await notModified.text(), '');
  });
  test('a changed answer gets a new ETag', async () => {
    const query = '{ job(id: "7") { title } }';
    const before = (await get(query)).headers.get('etag');
    dataOf(await gw.post('mutation { updateJob(id: "7", input: { title: "Cartographer of caches" }) { id } }'));
    const after = await get(query, { 'if-none-match': before! });
    assert.equal(after.status, 200, 'the old ETag no longer matches');
    assert.notEqual(after.headers.get('etag'), before);
  });
  test('errors and mutations over GET are never cacheable', async () => {
    const error = await get('{ match(candidateId: "999999", jobId: "1") { score } }');
    assert.equal(error.headers.get('cache-control'), 'no-store');
    assert.equal(error.headers.get('etag'), null);
    const mutation = await get('mutation { updateJob(id: "4", input: { remote: true }) { id } }');
    assert.equal(mutation.status, 405, 'GET runs queries only');
    assert.equal(mutation.headers.get('cache-control'), 'no-store');
  });
});

describe('CORS', () => {
  test('a preflight names the methods and headers a browser may send', async () => {
    const res = await fetch(gw.url, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('access-control-allow-methods'), 'GET, POST, OPTIONS');
    assert.match(res.headers.get('access-control-allow-headers') ?? '', /content-type, authorization, x-cache-debug, .*apollo-require-preflight/);
  });
  test('an answer says who may read it and which headers, and nothing only a preflight reads', async () => {
    const res = await gw.post('{ movie(id: "1") { id } }');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('access-control-expose-headers'), 'etag, x-request-id');
    assert.equal(res.headers.get('access-control-allow-methods'), null);
  });
});

describe('caller identity', () => {
  test('me without a token is UNAUTHENTICATED and says how to authenticate', async () => {
    const res = await gw.post('{ me { id } }');
    assert.deepEqual(codesOf(res), ['UNAUTHENTICATED']);
    assert.match(res.body.errors![0].message, /Authorization: Bearer/);
  });
  test('a token signed with another secret is UNAUTHENTICATED', async () => {
    const forged = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('3').sign(new TextEncoder().encode('not the secret'));
    const res = await gw.post('{ me { id } }', {}, { headers: { authorization: `Bearer ${forged}` } });
    assert.deepEqual(codesOf(res), ['UNAUTHENTICATED']);
  });
  test('an expired token is UNAUTHENTICATED', async () => {
    const expired = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('3').setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    const res = await gw.post('{ me { id } }', {}, { headers: { authorization: `Bearer ${expired}` } });
    assert.deepEqual(codesOf(res), ['UNAUTHENTICATED']);
  });
  test('a valid token is the user; their email shows to them and to nobody else', async () => {
    const own = dataOf(await gw.post('{ me { id email } user(id: "4") { email } }', {}, { userId: 3 }));
    assert.equal(own.me.id, '3');
    assert.match(own.me.email, /\.3@example\.com$/);
    assert.equal(own.user.email, null);
  });
});

describe('requests GraphQL never sees', () => {
  test('malformed JSON is a 400 with a GraphQL-shaped error', async () => {
    const res = await fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.equal(body.errors[0].extensions.code, 'BAD_REQUEST');
  });
  test('a body over 1 MiB is a 413', async () => {
    const res = await fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'x'.repeat(1100 * 1024) }) });
    assert.equal(res.status, 413);
    assert.equal((await res.json()).errors[0].extensions.code, 'PAYLOAD_TOO_LARGE');
  });
  test('every response carries a request id', async () => {
    const res = await gw.post('{ genres }');
    assert.match(res.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });
});

describe('GET and the side routes', () => {
  test('GET /graphql runs a query', async () => {
    const res = await fetch(`${gw.url}?query=${encodeURIComponent('{ sectors }')}`, { headers: { 'apollo-require-preflight': 'true' } });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).data.sectors.length, 12);
  });
  test('GET answers carry an ETag, and If-None-Match with it gets 304 and no body', async () => {
    const url = `${gw.url}?query=${encodeURIComponent('{ movie(id: "5") { title } }')}`;
    const first = await fetch(url, { headers: { 'apollo-require-preflight': 'true' } });
    const etag = first.headers.get('etag');
    assert.match(etag ?? '', /^"[\w-]{27}"$/);
    const again = await fetch(url, { headers: { 'apollo-require-preflight': 'true', 'if-none-match': etag! } });
    assert.equal(again.status, 304);
    assert.equal(await again.text(), '');
    const other = await fetch(url, { headers: { 'apollo-require-preflight': 'true', 'if-none-match': '"something-else"' } });
    assert.equal(other.status, 200);
    assert.equal(other.headers.get('etag'), etag, 'the same answer has the same ETag');
  });
  test('a GET without a preflight header is refused (CSRF prevention)', async () => {
    const res = await fetch(`${gw.url}?query=${encodeURIComponent('{ sectors }')}`);
    assert.equal(res.status, 400);
  });
  test('a browser gets the sandbox, and every asset it loads is served locally', async () => {
    const res = await fetch(gw.url, { headers: { accept: 'text/html' } });
    assert.equal(res.status, 200);
    const html = await res.text();
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(sources.length >= 4);
    for (const source of sources) {
      assert.ok(source.startsWith('/sandbox/'), `${source} would need the internet`);
      const asset = await fetch(new URL(source, gw.url));
      assert.equal(asset.status, 200, source);
      assert.ok((await asset.arrayBuffer()).byteLength > 1000, source);
    }
  });
  test('/health, /ready and /metrics answer', async () => {
    const base = new URL(gw.url).origin;
    assert.deepEqual(await (await fetch(`${base}/health`)).json(), { status: 'ok' });
    const ready = await fetch(`${base}/ready`);
    assert.equal(ready.status, 200);
    assert.equal((await ready.json()).postgres.state, 'up');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /strata_graphql_requests_total\{type="query",outcome="ok"\} \d+/);
    assert.match(metrics, /strata_pg_pool_connections\{state="total"\}/);
  });
});
