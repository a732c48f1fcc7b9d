/**
 * The operation policy computed from the document (cache/operationPolicy.ts) against Apollo's
 * cache-control plugin on the same schema, where every field resolves (a mock answer per type):
 * the same Cache-Control for every query of the contract and for shapes the contract lacks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControl } from '@apollo/server/plugin/cacheControl';
import {
  getNullableType, isEnumType, isInputObjectType, isListType, isNonNullType, isObjectType, Kind, parse, print, typeFromAST,
  type GraphQLInputType, type GraphQLOutputType, type OperationDefinitionNode,
} from 'graphql';
import { buildSchema } from '../../src/server/schema.js';
import { SchemaCachePolicy } from '../../src/cache/policy.js';
import { OperationPolicies } from '../../src/cache/operationPolicy.js';
import { projectRoot } from '../../src/config.js';

const schema = buildSchema({});
const policies = new OperationPolicies(schema, new SchemaCachePolicy(schema));

/** An answer for any field: every field resolves, so Apollo counts every field's hint. */
function mockOutput(type: GraphQLOutputType): unknown {
  if (isNonNullType(type)) return mockOutput(type.ofType);
  if (isListType(type)) return [mockOutput(type.ofType)];
  if (isObjectType(type)) return {};
  if (isEnumType(type)) return type.getValues()[0].value;
  return { Int: 1, Float: 1.5, Boolean: true, DateTime: '2026-11-26T00:00:00.000Z' }[type.name] ?? 'x';
}

function mockInput(type: GraphQLInputType): unknown {
  const nullable = getNullableType(type);
  if (isListType(nullable)) return [mockInput(nullable.ofType)];
  if (isInputObjectType(nullable)) return Object.fromEntries(Object.values(nullable.getFields()).map((f) => [f.name, mockInput(f.type)]));
  if (isEnumType(nullable)) return nullable.getValues()[0].value;
  return { Int: 1, Float: 1.5, Boolean: true }[nullable.name] ?? '1';
}

const apollo = new ApolloServer({
  schema,
  fieldResolver: (_source, _args, _context, info) => mockOutput(info.returnType),
  plugins: [ApolloServerPluginCacheControl({ defaultMaxAge: 0, calculateHttpHeaders: true })],
});
await apollo.start();

/** Each operation of a document, as Apollo's header and as ours. */
async function compare(text: string): Promise<Array<[string, string | undefined, string]>> {
  const document = parse(text);
  const rows: Array<[string, string | undefined, string]> = [];
  for (const operation of document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)) {
    if (operation.operation !== 'query') continue;
    const variables = Object.fromEntries((operation.variableDefinitions ?? []).map((v) => [v.variable.name.value, mockInput(typeFromAST(schema, v.type as never) as GraphQLInputType)]));
    const response = await apollo.executeOperation({ query: text, operationName: operation.name?.value, variables });
    assert.equal(response.body.kind === 'single' && response.body.singleResult.errors, undefined, print(operation));
    const ours = policies.of(document, operation);
    const header = ours.maxAge ? `max-age=${ours.maxAge}, ${ours.scope.toLowerCase()}` : 'no-store';
    rows.push([operation.name?.value ?? print(operation), response.http.headers.get('cache-control'), header]);
  }
  return rows;
}

test('the contract\'s queries: the same Cache-Control as Apollo\'s plugin', async () => {
  const rows = await compare(readFileSync(path.join(projectRoot, 'contract', 'operations.graphql'), 'utf8'));
  assert.ok(rows.length >= 15);
  for (const [name, theirs, ours] of rows) assert.equal(ours, theirs, name);
});

test('other shapes: nesting, inheritMaxAge, PRIVATE fields, fragments, __typename alone', async () => {
  const shapes = [
    '{ movie(id: "1") { id } popularMovies(limit: 2) { id } user(id: "1") { name } }',
    '{ user(id: "1") { name email } }',
    '{ me { id profile { ratingCount } recommendations(n: 2) { score movie { title } } } }',
    '{ topMatches(candidateId: "1") { score breakdown { skills } job { company { name } location { city } } } }',
    'query Q { ...F } fragment F on Query { job(id: "1") { ... on Job { title company { name } } } }',
    '{ travelTime(from: { lat: 1, lng: 1 }, to: { lat: 2, lng: 2 }) { minutes } }',
    '{ genres sectors }',
    '{ __typename }',
  ];
  for (const shape of shapes) {
    for (const [name, theirs, ours] of await compare(shape)) assert.equal(ours, theirs, name);
  }
});
