/**
 * Entities kept as pieces (server/entityPieces.ts): where an answer holds them, how it is taken
 * apart, which versions its skeleton and each piece record, and the rule that makes a piece
 * depend on its row alone: the leaf fields of a piece type read nothing but that row.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphQLObjectType, getNamedType, isLeafType } from 'graphql';
import { buildSchema } from '../../src/server/schema.js';
import { SchemaCachePolicy } from '../../src/cache/policy.js';
import { EntityPieces, PIECE_TYPES, pieceKey, takeApart } from '../../src/server/entityPieces.js';
import { ResponseTrace } from '../../src/cache/responses.js';
import { resolvers } from '../../resolvers/index.js';

const schema = buildSchema();
const pieces = new EntityPieces(schema, new SchemaCachePolicy(schema));
const sitesOf = (query: string, name?: string) => pieces.sites(query, name)?.map((site) => `${site.path.join('.')} ${site.signature}`);

test('an entity selected by leaf fields, its id among them, is a piece wherever it stands', () => {
  assert.deepEqual(sitesOf('{ movie(id: "1") { id title } }'), ['movie Movie{id title}']);
  assert.deepEqual(sitesOf('query R($u: ID!) { recommendations(userId: $u) { score reason movie { ...C } } } fragment C on Movie { id t: title }', 'R'), [
    'recommendations.movie Movie{id t:title}',
  ]);
  assert.deepEqual(sitesOf('{ match(candidateId: "1", jobId: "2") { score candidate { id name } job { id title company { id name } } } }'), [
    'match.candidate Candidate{id name}',
    'match.job.company Company{id name}',
  ]);
  // A mutation's answer too: what it shows of what it changed is read after the change.
  assert.deepEqual(sitesOf('mutation { rateMovie(userId: "1", movieId: "2", rating: 3) { rating movie { id avgRating } } }'), ['rateMovie.movie Movie{id avgRating}']);
});

test('fields merged from fragments keep the order graphql-js writes them in', () => {
  assert.deepEqual(sitesOf('{ movie(id: "1") { title ...A id } } fragment A on Movie { year title }'), ['movie Movie{title year id}']);
});

test('no piece without an id, below an object field, with arguments, or where a directive stands', () => {
  assert.equal(sitesOf('{ movie(id: "1") { title year } }'), undefined);
  assert.equal(sitesOf('{ candidate(id: "1") { id name location { city } } }'), undefined);
  assert.equal(sitesOf('query Q($x: Boolean!) { movie(id: "1") { id title @include(if: $x) } }', 'Q'), undefined);
  assert.equal(sitesOf('query Q($x: Boolean!) { movie(id: "1") @skip(if: $x) { id } }', 'Q'), undefined);
  assert.equal(sitesOf('{ user(id: "1") { id name } }'), undefined, 'User is not a piece type');
});

/** A trace of a run that read `shown` (tag → version) directly and each entity by reference `reads` times. */
function traceOf(shown: Record<string, string>, references: Record<string, [version: string, reads: number]>): ResponseTrace {
  const trace = new ResponseTrace(true);
  trace.traced = true;
  trace.record(shown);
  for (const [entity, [version, reads]] of Object.entries(references)) for (let i = 0; i < reads; i++) trace.record({ [entity]: version }, entity);
  return trace;
}

test('an answer taken apart and put together again is the same text', () => {
  const sites = pieces.sites('query R($u: ID!) { recommendations(userId: $u) { score movie { id title } } }', 'R')!;
  const body = `${JSON.stringify({ data: { recommendations: [{ score: 1, movie: { id: '5', title: 'A "quoted" title' } }, { score: 0.5, movie: { id: '7', title: 'B' } }] } })}\n`;
  const apart = takeApart(body, sites, traceOf({ 'User:1': 'u1' }, { 'Movie:5': ['m5', 1], 'Movie:7': ['m7', 1] }))!;
  assert.deepEqual(apart.pieces.map((piece) => piece.key), [pieceKey('Movie{id title}', '5'), pieceKey('Movie{id title}', '7')]);
  const again = apart.parts.reduce((text, part, i) => text + (i > 0 ? apart.pieces[i - 1].body : '') + part, '');
  assert.equal(again, body);
  assert.deepEqual(apart.outside.versions, { 'User:1': 'u1' });
  assert.deepEqual(apart.pieces.map((piece) => piece.trace.versions), [{ 'Movie:5': 'm5' }, { 'Movie:7': 'm7' }]);
});

test('the skeleton keeps the tags of an entity it also read another way, or shows elsewhere', () => {
  const sites = pieces.sites('query R($u: ID!) { recommendations(userId: $u) { reason movie { id } } }', 'R')!;
  const body = `${JSON.stringify({ data: { recommendations: [{ reason: 'because of 7', movie: { id: '5' } }, { reason: 'x', movie: { id: '6' } }] } })}\n`;
  // Movie:7 read directly (a reason citing it); Movie:5 also read directly; Movie:6 read twice by reference, shown once.
  const trace = traceOf({ 'User:1': 'u1', 'Movie:5': 'm5', 'Movie:7': 'm7' }, { 'Movie:5': ['m5', 1], 'Movie:6': ['m6', 2] });
  const apart = takeApart(body, sites, trace)!;
  assert.deepEqual(apart.outside.versions, { 'User:1': 'u1', 'Movie:5': 'm5', 'Movie:7': 'm7', 'Movie:6': 'm6' });
});

test('an object whose entity was not read by reference stays in the skeleton', () => {
  const sites = pieces.sites('{ movie(id: "5") { id title } }', undefined)!;
  const body = `${JSON.stringify({ data: { movie: { id: '5', title: 'A' } } })}\n`;
  assert.equal(takeApart(body, sites, traceOf({ 'Movie:5': 'm5' }, {})), undefined);
  assert.equal(takeApart(`${JSON.stringify({ data: { movie: null } })}\n`, sites, traceOf({}, {})), undefined);
  assert.equal(takeApart(`${JSON.stringify({ data: { movie: { id: '5', title: 'A' } }, errors: [{ message: 'x' }] })}\n`, sites, traceOf({}, { 'Movie:5': ['m5', 1] })), undefined);
});

test('the leaf fields of every piece type read nothing but their row', async () => {
  // A resolver that touched the context (a loader, a service) would make a piece depend on
  // more than its entity's versions: every context access throws here.
  const context = new Proxy({}, { get: (_, name) => assert.fail(`a leaf resolver read ctx.${String(name)}`) });
  for (const typename of PIECE_TYPES) {
    const type = schema.getType(typename) as GraphQLObjectType;
    const own = (resolvers as Record<string, Record<string, unknown>>)[typename] ?? {};
    for (const field of Object.values(type.getFields())) {
      if (!isLeafType(getNamedType(field.type))) continue;
      const resolve = own[field.name];
      if (typeof resolve !== 'function') continue;
      await resolve({ id: 1, city: 'x', lat: 0, lng: 0 }, {}, context, { fieldName: field.name });
    }
  }
});
