/**
 * DataLoader batching: a request for 50 entities with nested fields issues one statement per
 * entity type per tick, never one per row.
 */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, dataOf, type TestGateway } from '../helpers/gateway.js';
import { tapStatements, type StatementTap } from '../helpers/statements.js';

let gw: TestGateway;
let tap: StatementTap;
before(async () => {
  gw = await startTestGateway();
  tap = tapStatements(gw.gateway.services.db);
});
// Cold means cold: every test starts with an empty L1 (and no Redis here).
beforeEach(() => gw.gateway.services.cache.l1?.clear());
after(async () => {
  tap.remove();
  await gw.stop();
});

const MOVIE_CARD = 'id title year genres avgRating ratingCount';

test('50 movies by id are read in one statement', async () => {
  tap.reset();
  const ids = Array.from({ length: 50 }, (_, i) => String(i * 7 + 1));
  const { movies } = dataOf(await gw.post(`query ($ids: [ID!]!) { movies(ids: $ids) { ${MOVIE_CARD} } }`, { ids }));
  assert.equal(movies.length, 50);
  assert.deepEqual(tap.batchesByTable(), { movies: 1 });
  assert.equal(tap.statements.length, 1);
});

test('50 jobs with their companies: one statement for jobs, one for companies', async () => {
  tap.reset();
  const { jobs } = dataOf(await gw.post('{ jobs(limit: 50) { id title company { id name sector } location { city } } }'));
  assert.equal(jobs.length, 50);
  assert.ok(new Set(jobs.map((j: { company: { id: string } }) => j.company.id)).size > 1);
  assert.deepEqual(tap.batchesByTable(), { companies: 1 });
  assert.equal(tap.statements.length, 2, tap.statements.join('\n---\n'));
});

test('50 recommendations with their movies and reasons read movies in one statement', async () => {
  await gw.post('{ recommendations(userId: "5", n: 1) { score } }'); // builds the model once
  gw.gateway.services.cache.l1?.clear();
  tap.reset();
  const { recommendations } = dataOf(
    await gw.post(`{ recommendations(userId: "5", n: 50) { score reason movie { ${MOVIE_CARD} } } }`),
  );
  assert.equal(recommendations.length, 50);
  const batches = tap.batchesByTable();
  assert.equal(batches.movies, 1, JSON.stringify(batches));
  assert.ok(tap.statements.length <= 4, tap.statements.join('\n---\n'));
});

test('50 top matches with candidate, job and company: one batch per entity type', async () => {
  tap.reset();
  const { topMatches } = dataOf(
    await gw.post('{ topMatches(candidateId: "1", limit: 50) { score candidate { id name } job { id title company { name } } } }'),
  );
  assert.equal(topMatches.length, 50);
  const batches = tap.batchesByTable();
  for (const [table, count] of Object.entries(batches)) assert.equal(count, 1, `${table}: ${count} batches`);
  assert.deepEqual(Object.keys(batches).sort(), ['candidates', 'companies', 'jobs']);
  assert.ok(tap.statements.length <= 6, tap.statements.join('\n---\n'));
});
