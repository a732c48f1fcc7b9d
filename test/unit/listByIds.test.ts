/** Which operations the response tier answers item by item, and when an item's piece may leave out the others' tags. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSchema } from 'graphql';
import { ListsByIds } from '../../src/server/listByIds.js';

const schema = buildSchema(`
  type Query {
    things(ids: [ID!]!): [Thing]!
    thing(id: ID!): Thing
    pairs(ids: [ID!]!, extra: Int): [Thing]!
  }
  type Thing { id: ID! name: String tags: [String!]! owner: Owner }
  type Owner { id: ID! name: String }
`);
const lists = new ListsByIds(schema);

test('a query whose only root field is a list by ids, given as a variable', () => {
  assert.deepEqual(lists.plan('query Q($ids: [ID!]!) { things(ids: $ids) { id name tags } }', 'Q'), { responseKey: 'things', idsVariable: 'ids', flatItemsOf: 'Thing' });
  assert.deepEqual(lists.plan('query ($v: [ID!]!) { all: things(ids: $v) { ...F } } fragment F on Thing { id __typename }', undefined), {
    responseKey: 'all',
    idsVariable: 'v',
    flatItemsOf: 'Thing',
  });
});

test('items that select an object keep the whole run’s versions', () => {
  assert.equal(lists.plan('query Q($ids: [ID!]!) { things(ids: $ids) { id owner { id } } }', 'Q')?.flatItemsOf, undefined);
  assert.equal(lists.plan('query Q($ids: [ID!]!) { things(ids: $ids) { ...F } } fragment F on Thing { owner { name } }', 'Q')?.flatItemsOf, undefined);
});

test('anything else runs whole', () => {
  const none = (query: string, name?: string) => assert.equal(lists.plan(query, name), undefined, query);
  none('{ things(ids: ["1", "2"]) { id } }');
  none('query Q($ids: [ID!]!) { things(ids: $ids) { id } thing(id: "1") { id } }', 'Q');
  none('query Q($ids: [ID!]!) { things(ids: $ids) @include(if: true) { id } }', 'Q');
  none('query Q($ids: [ID!]!) { pairs(ids: $ids, extra: 1) { id } }', 'Q');
  none('query Q($id: ID!) { thing(id: $id) { id } }', 'Q');
  none('mutation M($ids: [ID!]!) { things(ids: $ids) { id } }', 'M');
  none('query A($ids: [ID!]!) { things(ids: $ids) { id } } query B { thing(id: "1") { id } }', 'B');
  none('{ not graphql');
});
