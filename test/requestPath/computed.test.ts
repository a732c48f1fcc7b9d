/**
 * The computed fields — recommendations, rankings, match — served from the tiers, and made
 * out of date by exactly the writes that change them (through their tags), against the
 * test's own redis-server and a real Postgres. Engine calls are counted by wrapping the
 * instance's own services.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, dataOf, type TestGateway } from '../helpers/gateway.js';
import { startTestRedis, type TestRedis } from '../helpers/testRedis.js';
import { tapStatements, type StatementTap } from '../helpers/statements.js';
import { stillCurrent } from '../../src/cache/entry.js';
import { inTransaction } from '../../src/db/pool.js';

let redis: TestRedis;
let gw: TestGateway;
let tap: StatementTap;
const engineCalls = { recommend: 0, topJobsFor: 0, topCandidatesFor: 0 };
before(async () => {
  redis = await startTestRedis();
  gw = await startTestGateway({ redisUrl: redis.url });
  tap = tapStatements(gw.gateway.services.db);
  const { recommender, matcher } = gw.gateway.services;
  for (const [service, method] of [[recommender, 'recommend'], [matcher, 'topJobsFor'], [matcher, 'topCandidatesFor']] as const) {
    const original = (service as any)[method].bind(service);
    (service as any)[method] = (...args: unknown[]) => {
      engineCalls[method]++;
      return original(...args);
    };
  }
});
after(async () => {
  tap.remove();
  await gw.stop();
  await redis.stop();
});

const cache = () => gw.gateway.services.cache;
const settle = () => new Promise((r) => setTimeout(r, 20));
const calls = () => ({ ...engineCalls });
const grace = 300_000;

test('each computed field: computed once, then served from L1 and from L2 with no SQL and no engine call', async () => {
  const queries = [
    '{ recommendations(userId: "3", n: 5) { score reason movie { id } } }',
    '{ recommendations(userId: "3", n: 5, strategy: GENRE) { score movie { id } } }',
    '{ topMatches(candidateId: "4", limit: 5) { score job { id } } }',
    '{ topCandidates(jobId: "5", limit: 5) { score candidate { id } } }',
    '{ match(candidateId: "4", jobId: "5") { score travelMinutes breakdown { skills } } }',
  ];
  for (const query of queries) {
    const cold = dataOf(await gw.post(query));
    await settle();
    const before = calls();
    tap.reset();
    assert.deepEqual(dataOf(await gw.post(query)), cold, query);
    cache().l1!.clear();
    assert.deepEqual(dataOf(await gw.post(query)), cold, `${query} from L2`);
    assert.deepEqual(calls(), before, `${query}: no engine call when cached`);
    assert.deepEqual(tap.statements, [], `${query}: no SQL when cached`);
  }
});

test("a power user's recommendations live 24 h, a casual user's 1 h (plus the grace period)", async () => {
  const { rows } = await gw.database.db.query<{ id: number; is_power_user: boolean }>(
    '(SELECT id, is_power_user FROM users WHERE is_power_user LIMIT 1) UNION ALL (SELECT id, is_power_user FROM users WHERE NOT is_power_user LIMIT 1)',
  );
  assert.equal(rows.length, 2);
  for (const { id, is_power_user } of rows) {
    await gw.post(`{ recommendations(userId: "${id}", n: 3) { score } }`);
    await settle();
    const pttl = (await redis.client.pttl(cache().keys.recommendations(id, 3, 'COLLABORATIVE'))) - grace;
    const expected = is_power_user ? 86_400_000 : 3_600_000;
    assert.ok(pttl <= expected && pttl > expected - 10_000, `user ${id} (power: ${is_power_user}): PTTL ${pttl} + grace`);
  }
});

test('rating a recommended movie: every cached recommendation list of that user is recomputed without it', async () => {
  const lists = ['n: 5', 'n: 8', 'n: 5, strategy: POPULAR'];
  const ask = (args: string) => gw.post(`{ recommendations(userId: "6", ${args}) { movie { id } } }`);
  const before = await Promise.all(lists.map(async (args) => dataOf(await ask(args)).recommendations.map((r: any) => r.movie.id)));
  await settle();
  const rated = before[2][0]; // the top popular pick, which the user has not rated
  dataOf(await gw.post(`mutation { rateMovie(userId: "6", movieId: "${rated}", rating: 4) { rating } }`));
  const recomputed = calls().recommend;
  for (const args of lists) {
    const ids = dataOf(await ask(args)).recommendations.map((r: any) => r.movie.id);
    assert.ok(!ids.includes(rated), `${args}: the movie just rated is no longer recommended`);
  }
  assert.equal(calls().recommend - recomputed, lists.length, 'each list was recomputed once');
});

test('a refresh of the movie views recomputes the lists drawn from them (POPULAR, GENRE, a fallback to popular), and no other COLLABORATIVE list', async () => {
  const db = gw.database.db;
  // A user with the most liked movies, whose COLLABORATIVE list needs no fallback; and a new
  // user, written as a seed load is (not announced), who rated nothing and falls back to popular.
  const { rows: [fan] } = await db.query<{ id: number }>('SELECT user_id AS id FROM ratings WHERE rating >= 4 GROUP BY user_id ORDER BY count(*) DESC, user_id LIMIT 1');
  const { rows: [newcomer] } = await inTransaction(db, (client) =>
    client.query<{ id: number }>("INSERT INTO users (name, email) VALUES ('Newcomer', 'newcomer@example.com') RETURNING id"), 'seed');
  const lists = {
    collaborative: `{ recommendations(userId: "${fan.id}", n: 5) { reason movie { id } } }`,
    popular: `{ recommendations(userId: "${fan.id}", n: 5, strategy: POPULAR) { reason movie { id } } }`,
    genre: `{ recommendations(userId: "${fan.id}", n: 5, strategy: GENRE) { reason movie { id } } }`,
    fallback: `{ recommendations(userId: "${newcomer.id}", n: 5) { reason movie { id } } }`,
  };
  for (const query of Object.values(lists)) assert.equal(dataOf(await gw.post(query)).recommendations.length, 5, query);
  assert.ok(dataOf(await gw.post(lists.fallback)).recommendations.every((r: { reason: string }) => r.reason.startsWith('Among the most rated')), 'the newcomer is recommended what is popular');
  await settle();
  await gw.gateway.services.invalidator.invalidate([{ type: 'ViewRefreshed', view: 'movie_stats' }, { type: 'ViewRefreshed', view: 'top_movies_by_genre' }]);
  const recomputed: string[] = [];
  for (const [name, query] of Object.entries(lists)) {
    const before = calls().recommend;
    dataOf(await gw.post(query));
    if (calls().recommend > before) recomputed.push(name);
  }
  assert.deepEqual(recomputed, ['popular', 'genre', 'fallback']);
});

test("a job changed to fit a candidate perfectly enters that candidate's cached topMatches; other candidates' lists are recomputed (Job:*)", async () => {
  const top = async (candidate: string) =>
    dataOf(await gw.post(`{ topMatches(candidateId: "${candidate}", limit: 3) { score job { id } } }`)).topMatches;
  await top('8');
  const other = await top('9');
  await settle();
  const candidate = dataOf(await gw.post('{ candidate(id: "8") { skills yearsExperience salaryExpectation location { city lat lng } } }')).candidate;
  const { jobs } = dataOf(await gw.post('{ jobs(limit: 100) { id } }'));
  const jobId = jobs.map((j: any) => j.id).find((id: string) => !new Set(['1', '2', '3']).has(id))!;
  dataOf(
    await gw.post('mutation ($id: ID!, $input: JobInput!) { updateJob(id: $id, input: $input) { id } }', {
      id: jobId,
      input: {
        requiredSkills: candidate.skills,
        minYearsExperience: candidate.yearsExperience,
        salaryMin: candidate.salaryExpectation,
        salaryMax: candidate.salaryExpectation + 10_000,
        location: candidate.location,
      },
    }),
  );
  const after = await top('8');
  assert.deepEqual(after[0], { score: 1, job: { id: jobId } }, 'the changed job now ranks first');
  const otherAfter = await top('9');
  // Any job's change may reorder any candidate's list: others are recomputed too (Job:*), and correct.
  assert.ok(otherAfter.every((m: any, i: number) => i === 0 || m.score <= otherAfter[i - 1].score));
  assert.equal(other.length, otherAfter.length);
});

test("a candidate changed to fit a job perfectly enters that job's cached topCandidates", async () => {
  const top = async () => dataOf(await gw.post('{ topCandidates(jobId: "14", limit: 3) { score candidate { id } } }')).topCandidates;
  const before = await top();
  await settle();
  const job = dataOf(await gw.post('{ job(id: "14") { requiredSkills minYearsExperience salaryMin location { city lat lng } } }')).job;
  const candidateId = ['21', '22', '23'].find((id) => !before.some((m: any) => m.candidate.id === id))!;
  dataOf(
    await gw.post('mutation ($id: ID!, $input: CandidateInput!) { updateCandidate(id: $id, input: $input) { id } }', {
      id: candidateId,
      input: { skills: job.requiredSkills, yearsExperience: job.minYearsExperience + 1, salaryExpectation: job.salaryMin, location: job.location },
    }),
  );
  const after = await top();
  assert.deepEqual(after[0], { score: 1, candidate: { id: candidateId } });
});

test("a candidate's or job's new name or title keeps every match and ranking of it (the score reads neither), and every answer shows the new one", async () => {
  const card = 'score candidate { id name } job { id title }';
  const ask = {
    topMatches: () => gw.post(`{ topMatches(candidateId: "33", limit: 3) { ${card} } }`).then((r) => dataOf(r).topMatches),
    topCandidates: () => gw.post(`{ topCandidates(jobId: "34", limit: 30) { ${card} } }`).then((r) => dataOf(r).topCandidates),
    match: () => gw.post(`{ match(candidateId: "33", jobId: "34") { ${card} } }`).then((r) => dataOf(r).match),
  };
  await Promise.all(Object.values(ask).map((f) => f()));
  await settle();
  const before = calls();
  dataOf(await gw.post('mutation { updateCandidate(id: "33", input: { name: "Renamed Candidate" }) { id } }'));
  dataOf(await gw.post('mutation { updateJob(id: "34", input: { title: "Retitled Job" }) { id } }'));
  const match = await ask.match();
  assert.equal(match.candidate.name, 'Renamed Candidate');
  assert.equal(match.job.title, 'Retitled Job');
  assert.ok((await ask.topMatches()).every((m: any) => m.candidate.name === 'Renamed Candidate'));
  const ranked = await ask.topCandidates();
  assert.ok(ranked.every((m: any) => m.job.title === 'Retitled Job'));
  for (const m of ranked) if (m.candidate.id === '33') assert.equal(m.candidate.name, 'Renamed Candidate');
  assert.deepEqual(calls(), before, 'no ranking computed again');
  const match33 = cache().l1!.get(cache().keys.match(33, 34, 'WEIGHTED'));
  assert.ok(match33 && stillCurrent(match33, cache().versions!), 'the match entry is still current');

  // A field the score reads does invalidate them: both rankings are computed again.
  dataOf(await gw.post('mutation { updateCandidate(id: "33", input: { yearsExperience: 40 }) { id } }'));
  await ask.topMatches();
  await ask.topCandidates();
  assert.equal(calls().topJobsFor - before.topJobsFor, 1, "the candidate's ranking computed again");
  assert.equal(calls().topCandidatesFor - before.topCandidatesFor, 1, 'the ranking over candidates computed again');
});

test('new algorithm weights re-score cached matches of that algorithm only', async () => {
  const score = async (algorithm: string) =>
    dataOf(await gw.post(`{ match(candidateId: "30", jobId: "31", algorithm: ${algorithm}) { score breakdown { skills experience location salary } } }`)).match;
  const weighted = await score('WEIGHTED');
  const skillsOnly = await score('SKILLS_ONLY');
  await settle();
  dataOf(
    await gw.post('mutation { updateAlgorithmWeights(algorithm: WEIGHTED, weights: { skills: 0, experience: 0, location: 0, salary: 1 }) { algorithm } }'),
  );
  const reweighted = await score('WEIGHTED');
  assert.equal(reweighted.score, weighted.breakdown.salary, 'WEIGHTED now scores by salary alone');
  tap.reset();
  assert.deepEqual(await score('SKILLS_ONLY'), skillsOnly);
  assert.deepEqual(tap.statements, [], 'SKILLS_ONLY matches are still served from the cache');
});

test('PRIVATE: the public user entry holds no email; each caller has an entry of their own', async () => {
  await gw.post('{ me { email } }', {}, { userId: 40 });
  await gw.post('{ me { email } user(id: "40") { name email } }', {}, { userId: 41 });
  await settle();
  const publicEntry = await redis.client.get(cache().keys.user(40));
  assert.ok(publicEntry);
  assert.equal(JSON.parse(publicEntry).value.email, null);
  assert.doesNotMatch(publicEntry, /@example\.com/);
  assert.match(JSON.parse((await redis.client.get(cache().keys.privateUser(40)))!).value.email, /\.40@example\.com$/);
  assert.match(JSON.parse((await redis.client.get(cache().keys.privateUser(41)))!).value.email, /\.41@example\.com$/);
});
