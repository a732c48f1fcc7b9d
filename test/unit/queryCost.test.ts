/** The cost model of MAX_QUERY_COST, counted on the real schema: what each shape costs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QueryLimits } from '../../src/server/queryLimits.js';
import { RequestError } from '../../src/server/requestError.js';
import { buildSchema } from '../../src/server/schema.js';

const schema = buildSchema();
/** Limits that refuse any cost above 0, so each check reports the cost it counted. */
const counting = new QueryLimits(schema, { depth: 100, aliases: 100, directives: 100, tokens: 100_000, cost: 0, introspection: true });

function costOf(query: string, variables?: Record<string, unknown>, operationName?: string): number {
  try {
    counting.check(query, operationName, variables);
  } catch (err) {
    assert.ok(err instanceof RequestError && err.code === 'QUERY_TOO_COSTLY', String(err));
    return err.details.actual as number;
  }
  assert.fail('no cost was counted');
}

test('each field costs 1', () => {
  assert.equal(costOf('{ movie(id: "1") { id title } }'), 3);
  assert.equal(costOf('{ genres sectors }'), 2, 'a list of scalars is one field');
});

test('a list multiplies what it selects by its size argument, given or defaulted', () => {
  assert.equal(costOf('{ popularMovies(limit: 50) { id title } }'), 1 + 50 * 2);
  assert.equal(costOf('{ popularMovies { id } }'), 1 + 20, 'limit defaults to 20');
  assert.equal(costOf('{ recommendations(userId: "1", n: 5) { score movie { id title } } }'), 1 + 5 * (1 + 3));
  assert.equal(costOf('{ movies(ids: ["1", "2", "3"]) { id } }'), 1 + 3, 'ids count');
  assert.equal(costOf('{ matchingStats(hours: 48) { hour } }'), 1 + 48);
});

test('sizes given in variables count per request, and defaults of variables too', () => {
  const query = 'query ($n: Int = 7) { recommendations(userId: "1", n: $n) { score } }';
  assert.equal(costOf(query, { n: 30 }), 31);
  assert.equal(costOf(query, { n: 2 }), 3, 'not the cost of an earlier request');
  assert.equal(costOf(query, {}), 8);
  assert.equal(costOf('query ($ids: [ID!]!) { movies(ids: $ids) { id } }', { ids: ['1', '2'] }), 3);
});

test('fragments count where they are spread, each time', () => {
  const query = 'fragment M on Movie { id title } { a: movie(id: "1") { ...M } b: popularMovies(limit: 2) { ...M } }';
  assert.equal(costOf(query), (1 + 2) + (1 + 2 * 2));
});

test('the operation asked for is the one counted', () => {
  const query = 'query Small { genres } query Big { popularMovies(limit: 100) { id } }';
  assert.equal(costOf(query, undefined, 'Small'), 1);
  assert.equal(costOf(query, undefined, 'Big'), 101);
});
