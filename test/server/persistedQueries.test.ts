/**
 * Automatic persisted queries, driven by Apollo Client's persisted-query link with
 * useGETForHashedQueries, against gateways sharing one Redis: the first call registers, later
 * ones are GETs carrying only the hash, on any instance. A hash that is not the text's is
 * refused and stored nowhere. The store is bounded. Without Redis it lives in process.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import type { DocumentNode } from 'graphql';
import { startTestGateway, codesOf, dataOf, type GraphQLResponse, type TestGateway } from '../helpers/gateway.js';
import { startTestRedis, type TestRedis } from '../helpers/testRedis.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const APQ_MAX_ENTRIES = 5;

interface Sent {
  method: string;
  /** The GraphQL parameters, from the query string or the body. */
  params: Record<string, unknown>;
  status: number;
  headers: Headers;
}

/** An Apollo Client on `url` whose every HTTP request is recorded in `sent`. */
function apolloClient(url: string, options: { generateHash?: (doc: DocumentNode) => string } = {}) {
  const sent: Sent[] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const target = new URL(String(input));
    const params =
      init?.method === 'GET'
        ? Object.fromEntries([...target.searchParams].map(([k, v]) => [k, k === 'query' || k === 'operationName' ? v : JSON.parse(v)]))
        : JSON.parse(String(init?.body));
    const response = await fetch(input, init);
    sent.push({ method: init?.method ?? 'GET', params, status: response.status, headers: response.headers });
    return response;
  };
  const persisted = new PersistedQueryLink({
    useGETForHashedQueries: true,
    ...(options.generateHash ? { generateHash: options.generateHash } : { sha256 }),
  });
  const client = new ApolloClient({
    link: ApolloLink.from([persisted, new HttpLink({ uri: url, fetch: recordingFetch })]),
    cache: new InMemoryCache(),
    defaultOptions: { query: { fetchPolicy: 'no-cache' } },
  });
  return { client, sent };
}

const MOVIE = gql`
  query MovieTitle($id: ID!) {
    movie(id: $id) {
      id
      title
    }
  }
`;

let redis: TestRedis;
let a: TestGateway;
let b: TestGateway;
before(async () => {
  redis = await startTestRedis();
  a = await startTestGateway({ redisUrl: redis.url, env: { APQ_MAX_ENTRIES: String(APQ_MAX_ENTRIES), APQ_TTL_S: '600' } });
  b = await startTestGateway({ redisUrl: redis.url, database: a.database });
});
after(async () => {
  await b?.stop();
  await a?.stop();
  await redis?.stop();
});

const apqKeys = () => redis.keys('strata:{apq}:q:*');

describe('automatic persisted queries with Apollo Client', () => {
  test('the first call registers; later calls are GETs with the hash only, on every instance', async () => {
    const first = apolloClient(a.url);
    const { data } = await first.client.query({ query: MOVIE, variables: { id: '3' } });
    assert.equal((data as any).movie.id, '3');
    assert.deepEqual(
      first.sent.map((s) => [s.method, 'query' in s.params]),
      [['GET', false], ['POST', true]],
      'a GET with the hash, PERSISTED_QUERY_NOT_FOUND, then a POST with the text',
    );
    const hash = (first.sent[0].params.extensions as any).persistedQuery.sha256Hash;
    assert.equal(await redis.client.get(`strata:{apq}:q:${hash}`), (first.sent[1].params as any).query, 'stored in Redis under its hash');

    await first.client.query({ query: MOVIE, variables: { id: '4' } });
    assert.deepEqual(first.sent.slice(2).map((s) => [s.method, 'query' in s.params]), [['GET', false]]);

    // Instance B never saw the registration: it finds the text in Redis.
    const other = apolloClient(b.url);
    const again = await other.client.query({ query: MOVIE, variables: { id: '3' } });
    assert.deepEqual(again.data, data);
    assert.deepEqual(other.sent.map((s) => [s.method, s.status, 'query' in s.params]), [['GET', 200, false]]);
    assert.equal(other.sent[0].headers.get('cache-control'), 'public, max-age=86400', 'a CDN may keep the persisted GET');
    assert.match(other.sent[0].headers.get('etag') ?? '', /^"[\w-]{27}"$/);
  });

  test('a hash that is not the sha256 of the text is refused, and nothing is stored', async () => {
    const wrong = sha256('something else entirely');
    const { client, sent } = apolloClient(a.url, { generateHash: () => wrong });
    await assert.rejects(client.query({ query: MOVIE, variables: { id: '3' } }), (err: { bodyText?: string }) => /PERSISTED_QUERY_HASH_MISMATCH/.test(err.bodyText ?? ''));
    assert.equal(sent.at(-1)!.status, 400);
    assert.equal(await redis.client.exists(`strata:{apq}:q:${wrong}`), 0);
    const lookup = await getPersisted(b.url, wrong);
    assert.deepEqual(codesOf(lookup), ['PERSISTED_QUERY_NOT_FOUND']);
  });

  test('a text that does not validate runs (and fails) but is not stored', async () => {
    const query = '{ movie(id: "1") { budget } }';
    const res = await postPersisted(a.url, sha256(query), query);
    assert.deepEqual(codesOf(res), ['GRAPHQL_VALIDATION_FAILED']);
    assert.equal(await redis.client.exists(`strata:{apq}:q:${sha256(query)}`), 0);
  });

  test(`the store keeps at most APQ_MAX_ENTRIES (${APQ_MAX_ENTRIES}), with their TTL`, async () => {
    for (let i = 1; i <= APQ_MAX_ENTRIES + 3; i++) {
      const query = `{ movie(id: "${i}") { id } }`;
      dataOf(await postPersisted(a.url, sha256(query), query));
    }
    const keys = await apqKeys();
    assert.equal(keys.length, APQ_MAX_ENTRIES);
    assert.equal(await redis.client.zcard('strata:{apq}:index'), APQ_MAX_ENTRIES);
    const newest = `{ movie(id: "${APQ_MAX_ENTRIES + 3}") { id } }`;
    assert.ok(keys.includes(`strata:{apq}:q:${sha256(newest)}`), 'the newest are kept, the oldest dropped');
    const ttl = await redis.client.pttl(`strata:{apq}:q:${sha256(newest)}`);
    assert.ok(ttl > 590_000 && ttl <= 600_000, `APQ_TTL_S=600 gives ${ttl} ms`);
  });

  test('without Redis the store is in process', async () => {
    const alone = await startTestGateway({ database: a.database });
    try {
      const query = '{ genres }';
      assert.deepEqual(codesOf(await getPersisted(alone.url, sha256(query))), ['PERSISTED_QUERY_NOT_FOUND']);
      dataOf(await postPersisted(alone.url, sha256(query), query));
      assert.ok(dataOf<{ genres: string[] }>(await getPersisted(alone.url, sha256(query))).genres.length > 0);
    } finally {
      await alone.stop();
    }
  });

  test('with PERSISTED_ONLY=true, queries registered before still run by hash; nothing new is registered', async () => {
    const registered = '{ movie(id: "12") { id year } }';
    dataOf(await postPersisted(a.url, sha256(registered), registered));
    const locked = await startTestGateway({ redisUrl: redis.url, database: a.database, env: { PERSISTED_ONLY: 'true' } });
    try {
      assert.equal(dataOf(await getPersisted(locked.url, sha256(registered))).movie.id, '12');
      const other = '{ movie(id: "13") { id year } }';
      assert.deepEqual(codesOf(await postPersisted(locked.url, sha256(other), other)), ['PERSISTED_QUERY_REQUIRED']);
      assert.equal(await redis.client.exists(`strata:{apq}:q:${sha256(other)}`), 0);
    } finally {
      await locked.stop();
    }
  });

  test('a malformed persistedQuery extension is a 400 with its code', async () => {
    const res = await fetch(a.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ extensions: { persistedQuery: { version: 2, sha256Hash: sha256('{ genres }') } } }),
    });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).errors[0].extensions.code, 'PERSISTED_QUERY_NOT_SUPPORTED');
    const short = await fetch(a.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'abc' } } }),
    });
    assert.equal((await short.json()).errors[0].extensions.code, 'BAD_REQUEST');
  });
});

/** GET with only the hash, as a persisted-query client sends it. */
async function getPersisted(url: string, hash: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) {
  const search = new URLSearchParams({ extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hash } }) });
  if (variables) search.set('variables', JSON.stringify(variables));
  const res = await fetch(`${url}?${search}`, { headers: { 'apollo-require-preflight': 'true', ...headers } });
  return { status: res.status, headers: res.headers, body: (res.status === 304 ? {} : await res.json()) as GraphQLResponse['body'] };
}

/** POST with the hash and the text: a registration. */
async function postPersisted(url: string, hash: string, query: string) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as GraphQLResponse['body'] };
}
