/**
 * Every bad input gets a GraphQL error with its extensions.code, and nothing is written:
 * the tables' fingerprint is the same before and after the whole series.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, codesOf, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
let fingerprintBefore: string;
before(async () => {
  gw = await startTestGateway();
  fingerprintBefore = await fingerprint();
});
after(async () => {
  await gw.stop();
});

/** One hash over every row of every table the mutations write. */
async function fingerprint(): Promise<string> {
  const tables = ['ratings', 'candidates', 'jobs', 'algorithm_weights', 'movies', 'users', 'companies'];
  const parts = await Promise.all(
    tables.map(async (t) => (await gw.database.db.query(`SELECT md5(string_agg(x::text, '|' ORDER BY x::text)) AS h FROM ${t} x`)).rows[0].h),
  );
  return parts.join(':');
}

const RATE = 'mutation ($u: ID!, $m: ID!, $r: Float!) { rateMovie(userId: $u, movieId: $m, rating: $r) { rating } }';
const CANDIDATE = 'mutation ($id: ID!, $input: CandidateInput!) { updateCandidate(id: $id, input: $input) { id } }';
const JOB = 'mutation ($id: ID!, $input: JobInput!) { updateJob(id: $id, input: $input) { id } }';
const WEIGHTS =
  'mutation ($a: MatchAlgorithm!, $w: MatchWeightsInput!) { updateAlgorithmWeights(algorithm: $a, weights: $w) { algorithm } }';
const lyon = { city: 'Lyon', lat: 45.764, lng: 4.8357 };

const cases: Array<[name: string, query: string, variables: Record<string, unknown>, code: string]> = [
  ['rateMovie for an unknown user', RATE, { u: '999999', m: '1', r: 4 }, 'NOT_FOUND'],
  ['rateMovie of an unknown movie', RATE, { u: '1', m: '999999', r: 4 }, 'NOT_FOUND'],
  ['a rating above 5', RATE, { u: '1', m: '1', r: 7 }, 'BAD_USER_INPUT'],
  ['a rating below 0.5', RATE, { u: '1', m: '1', r: 0 }, 'BAD_USER_INPUT'],
  ['a rating off the half-star steps', RATE, { u: '1', m: '1', r: 4.3 }, 'BAD_USER_INPUT'],
  ['a rating that is not a number', RATE, { u: '1', m: '1', r: 'five' }, 'BAD_USER_INPUT'],
  ['an id that is not an integer', RATE, { u: 'abc', m: '1', r: 4 }, 'BAD_USER_INPUT'],
  ['updateCandidate of an unknown id', CANDIDATE, { id: '999999', input: { title: 'x' } }, 'NOT_FOUND'],
  ['a latitude of 200', CANDIDATE, { id: '1', input: { title: 'Half applied?', location: { ...lyon, lat: 200 } } }, 'BAD_USER_INPUT'],
  ['a longitude of -190', CANDIDATE, { id: '1', input: { location: { ...lyon, lng: -190 } } }, 'BAD_USER_INPUT'],
  ['negative years of experience', CANDIDATE, { id: '1', input: { yearsExperience: -1 } }, 'BAD_USER_INPUT'],
  ['an empty skills list', CANDIDATE, { id: '1', input: { skills: [] } }, 'BAD_USER_INPUT'],
  ['a blank name', CANDIDATE, { id: '1', input: { name: '   ' } }, 'BAD_USER_INPUT'],
  ['an update that sets nothing', CANDIDATE, { id: '1', input: {} }, 'BAD_USER_INPUT'],
  ['an unknown input field', CANDIDATE, { id: '1', input: { colour: 'blue' } }, 'BAD_USER_INPUT'],
  ['updateJob of an unknown id', JOB, { id: '999999', input: { title: 'x' } }, 'NOT_FOUND'],
  ['a salary band upside down', JOB, { id: '1', input: { title: 'Half applied?', salaryMin: 90000, salaryMax: 50000 } }, 'BAD_USER_INPUT'],
  ['a salaryMax under the stored salaryMin', JOB, { id: '1', input: { salaryMax: 1 } }, 'BAD_USER_INPUT'],
  ['a job latitude of 200', JOB, { id: '1', input: { location: { ...lyon, lat: 200 } } }, 'BAD_USER_INPUT'],
  ['a negative weight', WEIGHTS, { a: 'WEIGHTED', w: { skills: -0.1, experience: 0.2, location: 0.5, salary: 0.4 } }, 'BAD_USER_INPUT'],
  ['weights that sum to 0', WEIGHTS, { a: 'WEIGHTED', w: { skills: 0, experience: 0, location: 0, salary: 0 } }, 'BAD_USER_INPUT'],
  ['an unknown algorithm', WEIGHTS, { a: 'MAGIC', w: { skills: 1, experience: 0, location: 0, salary: 0 } }, 'BAD_USER_INPUT'],
];

describe('bad mutations', () => {
  for (const [name, query, variables, code] of cases) {
    test(`${name} → ${code}`, async () => {
      const response = await gw.post(query, variables);
      assert.deepEqual(codesOf(response), [code], JSON.stringify(response.body.errors));
      assert.equal(response.body.data?.[Object.keys(response.body.data ?? {})[0]] ?? null, null);
    });
  }

  test('after all of them, the database is unchanged', async () => {
    assert.equal(await fingerprint(), fingerprintBefore);
  });
});

describe('bad queries', () => {
  const queries: Array<[name: string, query: string, code: string]> = [
    ['an id that is not an integer', '{ movie(id: "x1") { id } }', 'BAD_USER_INPUT'],
    ['a limit of 0', '{ popularMovies(limit: 0) { id } }', 'BAD_USER_INPUT'],
    ['a limit over 100', '{ jobs(limit: 1000) { id } }', 'BAD_USER_INPUT'],
    ['n over 100', '{ recommendations(userId: "1", n: 101) { score } }', 'BAD_USER_INPUT'],
    ['more than 100 ids', `{ movies(ids: [${Array.from({ length: 101 }, (_, i) => `"${i + 1}"`).join(',')}]) { id } }`, 'BAD_USER_INPUT'],
    ['recommendations for an unknown user', '{ recommendations(userId: "999999") { score } }', 'NOT_FOUND'],
    ['a match with an unknown candidate', '{ match(candidateId: "999999", jobId: "1") { score } }', 'NOT_FOUND'],
    ['a travel time from latitude 200', '{ travelTime(from: {lat: 200, lng: 0}, to: {lat: 0, lng: 0}) { minutes } }', 'BAD_USER_INPUT'],
    ['hours over 720', '{ matchingStats(hours: 1000) { hour } }', 'BAD_USER_INPUT'],
    ['an unknown enum value', '{ topMatches(candidateId: "1", algorithm: MAGIC) { score } }', 'GRAPHQL_VALIDATION_FAILED'],
    ['an unknown field', '{ movie(id: "1") { budget } }', 'GRAPHQL_VALIDATION_FAILED'],
    ['a syntax error', '{ movie(id: "1") { id }', 'GRAPHQL_PARSE_FAILED'],
  ];
  for (const [name, query, code] of queries) {
    test(`${name} → ${code}`, async () => {
      assert.deepEqual(codesOf(await gw.post(query)), [code]);
    });
  }

  test('an unknown operation name → OPERATION_RESOLUTION_FAILURE (400)', async () => {
    const res = await gw.post('query A { genres } query B { sectors }', {}, { operationName: 'C' });
    assert.equal(res.status, 400);
    assert.deepEqual(codesOf(res), ['OPERATION_RESOLUTION_FAILURE']);
  });
  test('several operations and no name → OPERATION_RESOLUTION_FAILURE', async () => {
    assert.deepEqual(codesOf(await gw.post('query A { genres } query B { sectors }')), ['OPERATION_RESOLUTION_FAILURE']);
  });
  const variableCases: Array<[name: string, variables: Record<string, unknown>]> = [
    ['a variable of the wrong type', { c: 1, l: 'ten' }],
    ['an unknown enum value in a variable', { c: '1', l: 3, a: 'MAGIC' }],
    ['a required variable missing', { l: 3 }],
  ];
  for (const [name, variables] of variableCases) {
    test(`${name} → BAD_USER_INPUT (400), before anything runs`, async () => {
      const res = await gw.post('query ($c: ID!, $l: Int, $a: MatchAlgorithm) { topMatches(candidateId: $c, limit: $l, algorithm: $a) { score } }', variables);
      assert.equal(res.status, 400);
      assert.deepEqual(codesOf(res), ['BAD_USER_INPUT']);
      assert.equal(res.body.data, undefined);
    });
  }

  test('a subscription over HTTP → BAD_REQUEST (400), pointing at WebSocket', async () => {
    const res = await gw.post('subscription { cacheInvalidated { typename id } }');
    assert.equal(res.status, 400);
    assert.deepEqual(codesOf(res), ['BAD_REQUEST']);
    assert.match(res.body.errors![0].message, /WebSocket/);
  });

  test('an unknown id is null, not an error', async () => {
    const response = await gw.post('{ movie(id: "999999") { id } candidate(id: "999999") { id } }');
    assert.equal(response.body.errors, undefined);
    assert.deepEqual(response.body.data, { movie: null, candidate: null });
  });
});
