/**
 * PERSISTED_ONLY=true: the first-party client's operations (the trusted-documents manifest
 * codegen writes from contract/) run, by hash or by text; any other operation is refused, and
 * nothing new can be registered.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { print, type DocumentNode } from 'graphql';
import { MovieDocument, RateMovieDocument, TopMatchesDocument } from '../../src/generated/client/graphql.js';
import { TrustedDocuments } from '../../src/server/persisted/manifest.js';
import { startTestGateway, codesOf, dataOf, type GraphQLResponse, type TestGateway } from '../helpers/gateway.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** The hash codegen embedded in a generated document (`sha256:<hex>`), as a first-party client sends it. */
const hashOf = (doc: DocumentNode) => (doc as unknown as { __meta__: { hash: string } }).__meta__.hash.replace(/^sha256:/, '');

let gw: TestGateway;
before(async () => {
  gw = await startTestGateway({ env: { PERSISTED_ONLY: 'true' } });
});
after(async () => {
  await gw?.stop();
});

async function send(body: Record<string, unknown>): Promise<GraphQLResponse> {
  const res = await fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: await res.json() };
}
const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

describe('PERSISTED_ONLY=true', () => {
  test('the manifest holds every operation of the contract, under the sha256 of its text', () => {
    const manifest = TrustedDocuments.load();
    assert.equal(manifest.size, 22);
    const text = manifest.get(hashOf(MovieDocument));
    assert.ok(text?.includes('query Movie('));
    assert.equal(sha256(text!), hashOf(MovieDocument));
  });

  test('Apollo Client sends the generated documents by hash, over GET, and they run at the first try', async () => {
    const methods: string[] = [];
    const client = new ApolloClient({
      link: ApolloLink.from([
        new PersistedQueryLink({ useGETForHashedQueries: true, generateHash: hashOf }),
        new HttpLink({ uri: gw.url, fetch: (input, init) => (methods.push(init?.method ?? 'GET'), fetch(input, init)) }),
      ]),
      cache: new InMemoryCache(),
    });
    const movie = await client.query({ query: MovieDocument, variables: { id: '2' }, fetchPolicy: 'no-cache' });
    assert.equal(movie.data?.movie?.id, '2');
    const matches = await client.query({ query: TopMatchesDocument, variables: { candidateId: '1', limit: 3 }, fetchPolicy: 'no-cache' });
    assert.equal(matches.data?.topMatches.length, 3);
    const rated = await client.mutate({ mutation: RateMovieDocument, variables: { userId: '2', movieId: '9', rating: 4.5 } });
    assert.equal(rated.data?.rateMovie.rating, 4.5);
    assert.deepEqual(methods, ['GET', 'GET', 'POST'], 'queries as GETs with the hash only; the mutation POSTed by hash');
  });

  test('a manifest operation sent as text runs too', async () => {
    const text = TrustedDocuments.load().get(hashOf(MovieDocument))!;
    assert.equal(dataOf(await send({ query: text, variables: { id: '1' } })).movie.id, '1');
  });

  test('any other operation is refused, as text or as a registration', async () => {
    const other = '{ movie(id: "1") { id title } }';
    assert.deepEqual(codesOf(await send({ query: other })), ['PERSISTED_QUERY_REQUIRED']);
    const registering = await send({ query: other, extensions: persisted(sha256(other)) });
    assert.equal(registering.status, 400);
    assert.deepEqual(codesOf(registering), ['PERSISTED_QUERY_REQUIRED']);
    assert.deepEqual(codesOf(await send({ extensions: persisted(sha256(other)) })), ['PERSISTED_QUERY_NOT_FOUND'], 'and it was not registered');
    // A manifest operation printed differently is another text: refused as well.
    assert.deepEqual(codesOf(await send({ query: print(MovieDocument), variables: { id: '1' } })), ['PERSISTED_QUERY_REQUIRED']);
  });
});
