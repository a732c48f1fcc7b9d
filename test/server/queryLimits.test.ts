/**
 * Hostile queries are refused before validation and execution, each limit with its code, and
 * the gateway then answers the next request as usual. Run against a gateway in a process of
 * its own, so its memory can be read after a series of bombs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { codesOf, dataOf, type GraphQLResponse } from '../helpers/gateway.js';
import { createTestDatabase, type TestDatabase } from '../helpers/testDb.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gatewayProcess.js';

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

async function post(body: unknown): Promise<GraphQLResponse> {
  const res = await fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

const repeat = (n: number, item: (i: number) => string) => Array.from({ length: n }, (_, i) => item(i)).join(' ');
/** Each limit's bomb, with the code that refuses it (defaults of src/config.ts). */
const bombs: Array<[name: string, body: Record<string, unknown>, code: string]> = [
  ['a 50-level nesting', { query: `{ ${'a { '.repeat(50)}id${' }'.repeat(50)} }` }, 'QUERY_TOO_DEEP'],
  ['a 50-level nesting through fragments', { query: `{ ...F0 } ${repeat(49, (i) => `fragment F${i} on Query { user(id: "1") { ...F${i + 1} } }`)} fragment F49 on Query { genres }` }, 'QUERY_TOO_DEEP'],
  ['5,000 aliases', { query: `{ ${repeat(5000, (i) => `a${i}: genres`)} }` }, 'TOO_MANY_ALIASES'],
  ['100 directives', { query: `{ genres ${'@include(if: true) '.repeat(100)}}` }, 'TOO_MANY_DIRECTIVES'],
  ['25,000 tokens', { query: `{ ${'__typename '.repeat(25_000)}}` }, 'TOO_MANY_TOKENS'],
  ['a huge n', { query: '{ recommendations(userId: "1", n: 1000000) { score movie { title } } }' }, 'QUERY_TOO_COSTLY'],
  ['a huge limit in a variable', { query: 'query ($l: Int) { jobs(limit: $l) { id company { name } } }', variables: { l: 2_000_000_000 } }, 'QUERY_TOO_COSTLY'],
  ['the largest list five times', { query: `{ ${repeat(5, (i) => `t${i}: topMatches(candidateId: "${i + 1}", limit: 100) { score job { id title company { name } location { city } } candidate { id name location { city } } }`)} }` }, 'QUERY_TOO_COSTLY'],
  ['5,000 ids', { query: `{ movies(ids: [${repeat(5000, (i) => `"${i + 1}"`)}]) { id title } }` }, 'QUERY_TOO_COSTLY'],
  ['a billion laughs of fragments', { query: `{ ...L0 } ${repeat(30, (i) => `fragment L${i} on Query { ...L${i + 1} ...L${i + 1} }`)} fragment L30 on Query { genres }` }, 'QUERY_TOO_COSTLY'],
];

describe('query limits', () => {
  for (const [name, body, code] of bombs) {
    test(`${name} → ${code}, and the next request is answered`, async () => {
      const res = await post(body);
      assert.equal(res.status, 400);
      assert.deepEqual(codesOf(res), [code], JSON.stringify(res.body.errors).slice(0, 500));
      assert.equal(typeof res.body.errors![0].extensions!.limit, 'number');
      assert.match(res.body.errors![0].message, /MAX_[A-Z_]+/, 'the message names the setting that raises the limit');
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.deepEqual(dataOf(await post({ query: '{ movie(id: "1") { id } }' })), { movie: { id: '1' } });
    });
  }

  test('the contract\'s heaviest shapes stay within the limits', async () => {
    dataOf(await post({ query: '{ recommendations(userId: "1", n: 100) { score reason movie { id title year genres avgRating ratingCount } } }' }));
    dataOf(await post({ query: '{ topMatches(candidateId: "1", limit: 100) { score travelMinutes breakdown { skills experience location salary } job { id title company { name } location { city } } } }' }));
    dataOf(await post({ query: `{ movies(ids: [${repeat(100, (i) => `"${i + 1}"`)}]) { id title year genres avgRating ratingCount } }` }));
  });

  test('variables over MAX_VARIABLES_KB are a 413', async () => {
    const res = await post({ query: 'query ($id: ID!) { movie(id: $id) { id } }', variables: { id: '1', padding: 'x'.repeat(70 * 1024) } });
    assert.equal(res.status, 413);
    assert.deepEqual(codesOf(res), ['VARIABLES_TOO_LARGE']);
  });

  test('a batch is refused: one operation per request', async () => {
    const res = await post([{ query: '{ genres }' }, { query: '{ sectors }' }]);
    assert.equal(res.status, 400);
    assert.deepEqual(codesOf(res), ['BATCHING_NOT_SUPPORTED']);
  });

  test('every bomb is refused before any SQL statement runs (issue 7, test 20)', async () => {
    const statements = () => gw.metric('strata_sql_statements_total');
    const more: Array<Record<string, unknown>> = [
      { query: '{ recommendations(userId: "1", n: 1000000000) { score } }' },
      { query: '{ ...__schema } fragment __schema on Query { ...__schema }' },
    ];
    const before = await statements();
    const codes: string[] = [];
    for (const body of [...bombs.map(([, b]) => b), ...more]) codes.push(...codesOf(await post(body)));
    const after = await statements();
    console.log(`  ${bombs.length + more.length} bombs refused (${[...new Set(codes)].join(', ')}); SQL statements meanwhile: ${after - before}`);
    assert.equal(after - before, 0);
    assert.equal(codes.length, bombs.length + more.length, 'one coded error each');
  });

  test('refusals are counted by code in /metrics', async () => {
    const deep = 'strata_graphql_errors_total{code="QUERY_TOO_DEEP"}';
    const before = await gw.metric(deep);
    await post(bombs[0][1]);
    assert.equal(await gw.metric(deep), before + 1);
  });

  test('memory stays bounded through a series of bombs', async () => {
    const heap = () => gw.metric('strata_process_nodejs_heap_size_used_bytes');
    for (const [, body] of bombs) await post(body); // warm: code paths compiled, caches filled
    const before = await heap();
    for (let round = 0; round < 10; round++) {
      await Promise.all(bombs.map(([, body]) => post(body)));
    }
    const grown = (await heap()) - before;
    assert.ok(before > 0, 'the heap metric is exported');
    assert.ok(grown < 64 * 1024 * 1024, `heap grew by ${Math.round(grown / 1024 / 1024)} MB over ${bombs.length * 10} bombs`);
    dataOf(await post({ query: '{ genres }' }));
  });
});
