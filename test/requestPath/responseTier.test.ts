/**
 * The response tier: a repeated PUBLIC query is answered from its stored bytes, with no
 * resolver and no SQL, on two gateway processes over one Postgres and one Redis. It is never
 * stale: a mutation on either instance, and a write straight into Postgres, change what the
 * next read answers. What may not be kept (PRIVATE answers, errors, fields read without tags,
 * x-cache-debug) never is.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestDatabase } from '../helpers/testDb.js';
import { startDeployment, type GatewayProcess, type TestDeployment } from '../helpers/gatewayProcess.js';
import { until } from '../helpers/until.js';
import { codesOf, dataOf, type GraphQLResponse } from '../helpers/gateway.js';

const OUTBOX_POLL_MS = 1000;
let deployment: TestDeployment;
let database: TestDatabase;
let a: GatewayProcess;
let b: GatewayProcess;
before(async () => {
  deployment = await startDeployment(2, { OUTBOX_POLL_MS: String(OUTBOX_POLL_MS) });
  ({ database, instances: [a, b] } = deployment);
});
after(async () => {
  await deployment?.stop();
});

/** Response-tier hits of operations outside the contract (these tests' own), from /metrics. */
const hits = (gw: GatewayProcess) => gw.metric('cache_hits_total{level="response",type="other"}');
const statements = (gw: GatewayProcess) => gw.metric('strata_sql_statements_total');

/** POSTs `query` and says whether the response tier answered it (and that no SQL ran then). */
async function read(gw: GatewayProcess, query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<{ response: GraphQLResponse; fromTier: boolean }> {
  const [hitsBefore, sqlBefore] = [await hits(gw), await statements(gw)];
  const response = await gw.post(query, variables, { headers });
  const fromTier = (await hits(gw)) > hitsBefore;
  if (fromTier) assert.equal(await statements(gw), sqlBefore, 'an answer from the response tier runs no SQL');
  return { response, fromTier };
}

/** Reads `query` on `gw` until the response tier answers it; its data. */
async function stored<T = any>(gw: GatewayProcess, query: string, variables?: Record<string, unknown>): Promise<T> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const { response, fromTier } = await read(gw, query, variables);
    if (fromTier) return dataOf(response) as T;
  }
  throw new Error(`the response tier never answered ${query}`);
}

describe('answers from the response tier', () => {
  test('a repeated query is answered from stored bytes, with its age', async () => {
    const query = '{ movie(id: "3") { id title } popularMovies(limit: 3) { id } }';
    const first = await read(a, query);
    assert.equal(first.fromTier, false);
    const second = await read(a, query);
    assert.equal(second.fromTier, true);
    assert.deepEqual(second.response.body, first.response.body);
    assert.equal(second.response.headers.get('cache-control'), first.response.headers.get('cache-control'));
    assert.match(second.response.headers.get('age') ?? '', /^\d+$/);
    assert.equal(second.response.headers.get('vary'), 'accept, x-cache-debug');
  });

  test('variables are part of the key; their order is not', async () => {
    const query = 'query ($ids: [ID!]!, $id: ID!) { movies(ids: $ids) { id } movie(id: $id) { id } }';
    await stored(a, query, { ids: ['1', '2'], id: '4' });
    const reordered = await read(a, query, { id: '4', ids: ['1', '2'] });
    assert.equal(reordered.fromTier, true);
    const other = await read(a, query, { ids: ['1', '3'], id: '4' });
    assert.equal(other.fromTier, false);
    assert.deepEqual(dataOf(other.response).movies.map((m: { id: string }) => m.id), ['1', '3']);
  });

  test('a persisted GET is answered from the tier, ETag and 304 included', async () => {
    const query = '{ candidate(id: "4") { id name } }';
    await stored(a, query);
    const url = `${a.url}?query=${encodeURIComponent(query)}`;
    const get = await fetch(url, { headers: { 'apollo-require-preflight': 'true' } });
    const etag = get.headers.get('etag');
    assert.match(etag ?? '', /^"[\w-]{27}"$/);
    const again = await fetch(url, { headers: { 'apollo-require-preflight': 'true', 'if-none-match': etag! } });
    assert.equal(again.status, 304);
  });
});

describe('identical requests at once', () => {
  const misses = (gw: GatewayProcess) => gw.metric('cache_misses_total{level="response",type="other"}');
  const burst = (count: number, query: string, variables?: Record<string, unknown>) => Promise.all(Array.from({ length: count }, () => a.post(query, variables)));

  test('run once: the others wait for the answer it keeps', async () => {
    // A user no test reads otherwise: recommendations computed now, which takes a while.
    const query = '{ recommendations(userId: "41", n: 7) { score movie { id title } } }';
    const [missesBefore, hitsBefore] = [await misses(a), await hits(a)];
    const answers = await burst(20, query);
    for (const answer of answers) assert.deepEqual(answer.body, answers[0].body);
    assert.equal(await misses(a), missesBefore + 1);
    assert.equal(await hits(a), hitsBefore + 19);
  });

  test('a list by ids whose missing pieces another list is building waits for them', async () => {
    const query = 'query Both($ids: [ID!]!) { movies(ids: $ids) { id title year } }';
    const missesBefore = await misses(a);
    const answers = await burst(10, query, { ids: ['61', '62', '63'] });
    for (const answer of answers) assert.deepEqual(dataOf(answer).movies.map((m: { id: string }) => m.id), ['61', '62', '63']);
    assert.equal(await misses(a), missesBefore + 1);
  });
});

describe('a GET seen before', () => {
  const query = '{ job(id: "14") { id title } }';
  const url = () => `${a.url}?query=${encodeURIComponent(query)}`;
  const get = (headers: Record<string, string> = { 'apollo-require-preflight': 'true' }) => fetch(url(), { headers });
  test('is answered again from the tier, and still refused without the CSRF header', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await get()).status, 200);
    const hitsBefore = await hits(a);
    const again = await get();
    assert.equal(((await again.json()) as GraphQLResponse['body']).data.job.id, '14');
    assert.equal(await hits(a), hitsBefore + 1);
    const simple = await get({});
    assert.equal(simple.status, 400);
    assert.match(await simple.text(), /CSRF|preflight/i);
  });
  test('is not answered stale after a write', async () => {
    for (let i = 0; i < 3; i++) await get();
    dataOf(await b.post('mutation { updateJob(id: "14", input: { title: "Seen before, written since" }) { id } }'));
    const after = (await (await get()).json()) as GraphQLResponse['body'];
    assert.equal(after.data.job.title, 'Seen before, written since');
  });
});

describe('a list by ids, item by item', () => {
  const query = 'query Pieces($ids: [ID!]!) { list: movies(ids: $ids) { id title ratingCount } }';
  /** The answer as text, and the same request run whatever is stored (x-cache-debug). */
  const both = async (ids: unknown[]) => {
    const post = (headers: Record<string, string>) =>
      fetch(a.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables: { ids } }) });
    const text = await (await post({})).text();
    const ran = (await (await post({ 'x-cache-debug': '1' })).json()) as GraphQLResponse['body'];
    return { text, ran };
  };

  test('a new combination of known ids is put together from stored pieces, as Apollo would write it', async () => {
    assert.equal((await read(a, query, { ids: ['21', '22'] })).fromTier, false);
    const again = await read(a, query, { ids: ['22', '21', '22'] });
    assert.equal(again.fromTier, true);
    assert.deepEqual(dataOf(again.response).list.map((m: { id: string }) => m.id), ['22', '21', '22']);
    assert.match(again.response.headers.get('cache-control') ?? '', /^public, max-age=\d+$/);
    const { text, ran } = await both(['21', '22']);
    assert.equal(text, `${JSON.stringify({ data: ran.data })}\n`);
  });

  test('only the ids without a piece run; then every id has one', async () => {
    await stored(a, query, { ids: ['23'] });
    const mixed = await read(a, query, { ids: ['23', '24'] });
    assert.equal(mixed.fromTier, false);
    assert.deepEqual(dataOf(mixed.response).list.map((m: { id: string }) => m.id), ['23', '24']);
    assert.equal((await read(a, query, { ids: ['24', '23'] })).fromTier, true);
  });

  test('an unknown id answers null and is not kept', async () => {
    const ids = ['25', '999999'];
    const first = await read(a, query, { ids });
    assert.equal(dataOf(first.response).list[1], null);
    assert.equal((await read(a, query, { ids })).fromTier, false);
    const { text, ran } = await both(ids);
    assert.equal(text, `${JSON.stringify({ data: ran.data })}\n`);
  });

  test('a piece is never stale: a rating on the other instance', async () => {
    const before = await stored(a, query, { ids: ['26', '27'] });
    dataOf(await b.post('mutation { rateMovie(userId: "12", movieId: "27", rating: 4) { rating } }'));
    const after = dataOf((await read(a, query, { ids: ['27', '26'] })).response);
    assert.equal(after.list[0].ratingCount, before.list[1].ratingCount + 1);
    assert.equal(after.list[1].ratingCount, before.list[0].ratingCount);
  });

  test("a write to one movie keeps the pieces of the others that ran with it", async () => {
    const before = await stored(a, query, { ids: ['28', '29'] });
    dataOf(await a.post('mutation { rateMovie(userId: "13", movieId: "29", rating: 3) { rating } }'));
    const untouched = await read(a, query, { ids: ['28'] });
    assert.equal(untouched.fromTier, true);
    const rated = dataOf((await read(a, query, { ids: ['29'] })).response);
    assert.equal(rated.list[0].ratingCount, before.list[1].ratingCount + 1);
  });

  test('ids that are not a list get the usual error', async () => {
    const response = await a.post(query, { ids: { not: 'a list' } });
    assert.deepEqual(codesOf(response), ['BAD_USER_INPUT']);
  });
});

describe('entities kept as pieces', () => {
  const card = 'id title avgRating ratingCount';
  const recommendations = `query Recs($u: ID!) { recommendations(userId: $u, n: 5) { score reason movie { ${card} } } }`;
  const movie = `query One($id: ID!) { movie(id: $id) { ${card} } }`;
  const rate = `mutation Rate($u: ID!, $m: ID!) { rateMovie(userId: $u, movieId: $m, rating: 4.5) { movie { ${card} } } }`;

  /** A movie user `u` is recommended whose next rating is not a milestone (which refreshes the views every recommendation reads). */
  async function recommendedMovie(gw: GatewayProcess, u: string): Promise<{ id: string; ratingCount: number }> {
    const shown = (await stored(gw, recommendations, { u })).recommendations.map((r: { movie: { id: string; ratingCount: number } }) => r.movie);
    return shown.find((m: { ratingCount: number }) => (m.ratingCount + 1) % 100 !== 0);
  }

  test('a rating rebuilds one piece: the answers that show the movie are put together again, on both instances', async () => {
    const target = await recommendedMovie(a, '31');
    const ranOnB = await read(b, recommendations, { u: '31' });
    assert.equal(ranOnB.fromTier, false);
    await stored(b, recommendations, { u: '31' });
    await stored(b, movie, { id: target.id });
    const written = dataOf(await a.post(rate, { u: '32', m: target.id })).rateMovie.movie;
    assert.equal(written.ratingCount, target.ratingCount + 1);
    // The writer kept the movie's piece from its own answer: no answer showing it runs again.
    const here = await read(a, recommendations, { u: '31' });
    assert.equal(here.fromTier, true);
    assert.deepEqual(dataOf(here.response).recommendations.find((r: { movie: { id: string } }) => r.movie.id === target.id).movie, written);
    // The other instance heard of the rating: its movie answer runs once and rebuilds the piece…
    const one = await read(b, movie, { id: target.id });
    assert.equal(one.fromTier, false);
    assert.deepEqual(dataOf(one.response).movie, written);
    // …which puts its recommendations together again, current, and as Apollo would write them.
    const there = await read(b, recommendations, { u: '31' });
    assert.equal(there.fromTier, true);
    const ran = await b.post(recommendations, { u: '31' }, { headers: { 'x-cache-debug': '1' } });
    assert.deepEqual(there.response.body.data, ran.body.data);
    assert.match(there.response.headers.get('age') ?? '', /^\d+$/);
    assert.equal(there.response.headers.get('cache-control'), ranOnB.response.headers.get('cache-control'));
  });

  test('what the skeleton read of a movie itself (a reason citing it) still changes the answer', async () => {
    const shown = await stored(a, recommendations, { u: '33' });
    const cited = (await database.db.query<{ movie_id: number; title: string }>(
      'SELECT r.movie_id, m.title FROM ratings r JOIN movies m ON m.id = r.movie_id WHERE r.user_id = 33',
    )).rows.find((row) => shown.recommendations.some((r: { reason: string }) => r.reason.includes(`"${row.title}"`)));
    assert.ok(cited, 'a reason cites a movie the user rated');
    await database.db.query('UPDATE movies SET title = $1 WHERE id = $2', [`Retitled ${cited.movie_id}`, cited.movie_id]);
    await until(
      async () => dataOf((await read(a, recommendations, { u: '33' })).response).recommendations.some((r: { reason: string }) => r.reason.includes(`"Retitled ${cited.movie_id}"`)),
      'the reason names the new title',
      OUTBOX_POLL_MS * 3,
    );
  });
});

describe('never stale', () => {
  test('a mutation on the same instance', async () => {
    const query = '{ job(id: "5") { id title } }';
    await stored(a, query);
    dataOf(await a.post('mutation { updateJob(id: "5", input: { title: "Response tier warden" }) { id } }'));
    const after = await read(a, query);
    assert.equal(after.fromTier, false);
    assert.equal(dataOf(after.response).job.title, 'Response tier warden');
  });

  test('a mutation on the other instance, for the entity and for what was computed from it', async () => {
    const movieQuery = '{ movie(id: "8") { ratingCount avgRating } }';
    const recommendationsQuery = '{ recommendations(userId: "9", n: 5) { movie { id } } user(id: "9") { profile { ratingCount } } }';
    const movieBefore = await stored(b, movieQuery);
    const recommendationsBefore = await stored(b, recommendationsQuery);
    dataOf(await a.post('mutation { rateMovie(userId: "9", movieId: "8", rating: 0.5) { rating } }'));
    const movieAfter = dataOf((await read(b, movieQuery)).response);
    assert.equal(movieAfter.movie.ratingCount, movieBefore.movie.ratingCount + 1);
    const recommendationsAfter = dataOf((await read(b, recommendationsQuery)).response);
    assert.equal(recommendationsAfter.user.profile.ratingCount, recommendationsBefore.user.profile.ratingCount + 1);
  });

  test('a write straight into Postgres, within OUTBOX_POLL_MS', async () => {
    const query = '{ candidate(id: "6") { title } }';
    await stored(b, query);
    await database.db.query("UPDATE candidates SET title = 'Edited in psql' WHERE id = 6");
    const wroteAt = Date.now();
    await until(async () => dataOf((await read(b, query)).response).candidate.title === 'Edited in psql', 'the tier stops answering the old title', OUTBOX_POLL_MS * 3);
    assert.ok(Date.now() - wroteAt < OUTBOX_POLL_MS * 3);
  });
});

describe('what is never kept', () => {
  const never = async (gw: GatewayProcess, query: string, headers?: Record<string, string>) => {
    for (let i = 0; i < 3; i++) assert.equal((await read(gw, query, undefined, headers)).fromTier, false, query);
  };
  test('fields read without tags (jobs, genres)', async () => {
    await never(a, '{ jobs(limit: 3) { id title } }');
    await never(a, '{ genres movie(id: "1") { id } }');
  });
  test('PRIVATE answers', async () => {
    await never(a, '{ user(id: "3") { name email } }');
  });
  test('errors', async () => {
    await never(a, '{ match(candidateId: "999999", jobId: "1") { score } }');
    assert.deepEqual(codesOf((await read(a, '{ match(candidateId: "999999", jobId: "1") { score } }')).response), ['NOT_FOUND']);
  });
  test('x-cache-debug requests, which always run', async () => {
    await stored(a, '{ movie(id: "11") { title } }');
    await never(a, '{ movie(id: "11") { title } }', { 'x-cache-debug': '1' });
  });
});
