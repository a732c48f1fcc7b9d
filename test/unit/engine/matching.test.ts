import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scoreMatch, locationFit, salaryFit, ZERO_SCORE_COMMUTE_MIN, type CandidateProfile, type JobProfile } from '../../../src/engine/matching.js';
import { MatchingIndex } from '../../../src/engine/ranking.js';
import { haversineKm, travelTime } from '../../../src/engine/geo.js';
import { generateSeed, INITIAL_WEIGHTS } from '../../../src/db/seed/generate.js';

const seed = generateSeed(0.05);
const paris = { lat: 48.8566, lng: 2.3522 };
const marseille = { lat: 43.2965, lng: 5.3698 };

const candidate: CandidateProfile = { skills: ['Go', 'Redis', 'SQL'], yearsExperience: 5, salaryExpectation: 50000, ...paris };
const job: JobProfile = {
  requiredSkills: ['Go', 'Redis', 'Kafka', 'AWS'], minYearsExperience: 4, salaryMin: 45000, salaryMax: 60000, remote: false, ...marseille,
};

test('scores and every part of the breakdown stay in [0, 1] over seeded pairs and every algorithm', () => {
  let checked = 0;
  for (const c of seed.candidates.slice(0, 60)) {
    for (const j of seed.jobs.slice(0, 30)) {
      for (const weights of Object.values(INITIAL_WEIGHTS)) {
        const { score, breakdown, travelMinutes } = scoreMatch(c, j, weights);
        for (const value of [score, ...Object.values(breakdown)]) assert.ok(value >= 0 && value <= 1, `${value} out of range`);
        assert.ok(travelMinutes >= 0);
        checked++;
      }
    }
  }
  assert.equal(checked, 60 * 30 * 3);
});

test('weights are honoured: each single-part weighting returns that part', () => {
  const full = scoreMatch(candidate, job, INITIAL_WEIGHTS.WEIGHTED);
  for (const part of ['skills', 'experience', 'location', 'salary'] as const) {
    const only = { skills: 0, experience: 0, location: 0, salary: 0, [part]: 3 };
    assert.equal(scoreMatch(candidate, job, only).score, full.breakdown[part], part);
  }
  assert.equal(full.breakdown.skills, 0.5, 'two of four required skills');
  const { score } = scoreMatch(candidate, job, { skills: 1, experience: 1, location: 0, salary: 0 });
  assert.equal(score, (full.breakdown.skills + full.breakdown.experience) / 2, 'weights are normalised by their sum');
});

test('remote jobs score full marks on location however far the candidate lives', () => {
  const far = scoreMatch(candidate, job, INITIAL_WEIGHTS.GEO_FIRST);
  assert.equal(far.breakdown.location, 0, 'Paris to Marseille is past the zero-score commute');
  const remote = scoreMatch(candidate, { ...job, remote: true }, INITIAL_WEIGHTS.GEO_FIRST);
  assert.equal(remote.breakdown.location, 1);
  assert.ok(remote.score > far.score);
  assert.equal(locationFit(ZERO_SCORE_COMMUTE_MIN * 10, true), 1);
});

test('salary fit is 1 at or under the band floor and falls above it', () => {
  assert.equal(salaryFit(40000, 45000, 60000), 1);
  assert.equal(salaryFit(60000, 45000, 60000), 0.5);
  assert.ok(salaryFit(70000, 45000, 60000) < 0.5);
  assert.equal(salaryFit(200000, 45000, 60000), 0);
});

test('travel time grows with distance, and Paris-Marseille is about 660 km', () => {
  assert.ok(Math.abs(haversineKm(paris, marseille) - 661) < 5);
  const near = travelTime(paris, { lat: 48.86, lng: 2.4 });
  const far = travelTime(paris, marseille);
  assert.ok(near.minutes < far.minutes);
  assert.equal(travelTime(paris, paris).minutes, 0);
});

/** The top k by scoring every item one by one: what the ranking must agree with. */
function bruteForceTop<T extends { id: number }>(items: T[], score: (item: T) => number, k: number) {
  return items.map((item) => ({ id: item.id, score: score(item) })).sort((a, b) => b.score - a.score || a.id - b.id).slice(0, k);
}

test('the ranking over typed arrays agrees with scoring each pair', () => {
  const index = new MatchingIndex();
  for (const j of seed.jobs) index.upsertJob(j.id, j);
  for (const c of seed.candidates) index.upsertCandidate(c.id, c);
  const someone = seed.candidates[7];
  const ranked = index.topJobsFor(someone, INITIAL_WEIGHTS.WEIGHTED, 10);
  const expected = bruteForceTop(seed.jobs, (j) => scoreMatch(someone, j, INITIAL_WEIGHTS.WEIGHTED).score, 10);
  assert.deepEqual(ranked.map((r) => r.id), expected.map((e) => e.id));
  for (const [i, r] of ranked.entries()) assert.ok(Math.abs(r.score - expected[i].score) < 1e-12);

  const someJob = seed.jobs[3];
  const best = index.topCandidatesFor(someJob, INITIAL_WEIGHTS.SKILLS_ONLY, 5);
  const bestExpected = bruteForceTop(seed.candidates, (c) => scoreMatch(c, someJob, INITIAL_WEIGHTS.SKILLS_ONLY).score, 5);
  assert.deepEqual(best.map((r) => r.id), bestExpected.map((e) => e.id));
});

test('an upsert replaces a row in the ranking, including skills never seen before', () => {
  const index = new MatchingIndex();
  for (const j of seed.jobs.slice(0, 20)) index.upsertJob(j.id, j);
  const rare = Array.from({ length: 200 }, (_, i) => `Rare skill ${i}`);
  index.upsertJob(5, { ...job, requiredSkills: rare.slice(190), remote: true });
  const top = index.topJobsFor({ ...candidate, skills: rare }, INITIAL_WEIGHTS.SKILLS_ONLY, 1);
  assert.deepEqual([top[0].id, top[0].score], [5, 1]);
  assert.equal(index.jobCount, 20);
});
