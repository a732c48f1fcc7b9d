/**
 * The @cacheControl hints in schema/ against the TTL tables of the seeds: every object type
 * has one, every root field has one, and the durations are the documented ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getDirective } from '@graphql-tools/utils';
import { isObjectType, type GraphQLSchema } from 'graphql';
import { buildSchema } from '../../src/server/schema.js';

const schema: GraphQLSchema = buildSchema();
const hint = (node: Parameters<typeof getDirective>[1]) => getDirective(schema, node, 'cacheControl')?.[0];
const HOUR = 3600;

test('every object type carries a @cacheControl hint', () => {
  const missing = Object.values(schema.getTypeMap())
    .filter((t) => isObjectType(t) && !t.name.startsWith('__') && !['Query', 'Mutation', 'Subscription'].includes(t.name))
    .filter((t) => !hint(t as never))
    .map((t) => t.name);
  assert.deepEqual(missing, []);
});

test('every query field carries a maxAge', () => {
  const fields = schema.getQueryType()!.getFields();
  const missing = Object.values(fields).filter((f) => typeof hint(f)?.maxAge !== 'number').map((f) => f.name);
  assert.deepEqual(missing, []);
});

test('durations follow the seeds: metadata 24 h, popular 6 h, profile 30 min, recommendations 1 h, …', () => {
  const query = schema.getQueryType()!.getFields();
  const type = (name: string) => hint(schema.getType(name) as never)?.maxAge;
  const expected: Array<[string, number | undefined, number]> = [
    ['Movie (movie metadata)', type('Movie'), 24 * HOUR],
    ['popularMovies', hint(query.popularMovies)?.maxAge, 6 * HOUR],
    ['User.profile (user profile)', hint((schema.getType('User') as any).getFields().profile)?.maxAge, 30 * 60],
    ['recommendations', hint(query.recommendations)?.maxAge, HOUR],
    ['Candidate (candidate profile)', type('Candidate'), 24 * HOUR],
    ['Job', type('Job'), 6 * HOUR],
    ['Match (match scores)', type('Match'), HOUR],
    ['TravelTime (geo distances)', type('TravelTime'), 7 * 24 * HOUR],
    ['MatchingStats (statistics)', type('MatchingStats'), 4 * HOUR],
  ];
  for (const [what, actual, wanted] of expected) assert.equal(actual, wanted, what);
});

test('me is PRIVATE, and so is the email it exposes', () => {
  assert.equal(hint(schema.getQueryType()!.getFields().me)?.scope, 'PRIVATE');
  assert.equal(hint((schema.getType('User') as any).getFields().email)?.scope, 'PRIVATE');
});
