/**
 * The client contract: every operation of contract/operations.graphql validates against the
 * schema and executes against a freshly seeded database with no errors, and its answer
 * makes sense. An operation added to the contract without a case here fails the suite.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, print, validate, visit, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type ASTNode } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { projectRoot } from '../src/config.js';
import { buildSchema } from '../src/server/schema.js';
import { startTestGateway, dataOf, type TestGateway } from './helpers/gateway.js';

const contractPath = path.join(projectRoot, 'contract/operations.graphql');
const sharedContractPath = path.join(projectRoot, '../shared/contract/operations.graphql');
const document: DocumentNode = parse(readFileSync(contractPath, 'utf8'));
const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition');
const fragments = new Map(
  document.definitions
    .filter((d): d is FragmentDefinitionNode => d.kind === 'FragmentDefinition')
    .map((f) => [f.name.value, f]),
);

/** The text of one operation with the fragments it spreads (the spec forbids unused ones), as a client sends it. */
function operationText(name: string): string {
  const operation = operations.find((o) => o.name?.value === name);
  assert.ok(operation, `no operation ${name} in the contract`);
  const used = new Set<string>();
  const collect = (node: ASTNode) =>
    visit(node, {
      FragmentSpread(spread) {
        if (used.has(spread.name.value)) return;
        used.add(spread.name.value);
        collect(fragments.get(spread.name.value)!);
      },
    });
  collect(operation);
  return [operation, ...[...used].map((n) => fragments.get(n)!)].map((d) => print(d)).join('\n');
}

type Case = (gw: TestGateway) => Promise<void>;

const cases: Record<string, Case> = {
  async Movie(gw) {
    const { movie } = dataOf(await gw.post(operationText('Movie'), { id: '1' }));
    assert.equal(movie.id, '1');
    assert.ok(movie.title.length > 0 && movie.genres.length > 0);
  },
  async Movies(gw) {
    const { movies } = dataOf(await gw.post(operationText('Movies'), { ids: ['3', '1', '2'] }));
    assert.deepEqual(movies.map((m: { id: string }) => m.id), ['3', '1', '2']);
  },
  async Genres(gw) {
    const { genres } = dataOf(await gw.post(operationText('Genres')));
    assert.ok(genres.includes('Drama') && genres.length >= 10, `genres: ${genres}`);
  },
  async PopularMovies(gw) {
    const { popularMovies } = dataOf(await gw.post(operationText('PopularMovies'), { limit: 5 }));
    assert.equal(popularMovies.length, 5);
    const counts = popularMovies.map((m: { ratingCount: number }) => m.ratingCount);
    assert.deepEqual(counts, [...counts].sort((a, b) => b - a), 'most rated first');
  },
  async TopMoviesByGenre(gw) {
    const { topMoviesByGenre } = dataOf(await gw.post(operationText('TopMoviesByGenre'), { genre: 'Drama', limit: 5 }));
    assert.ok(topMoviesByGenre.length > 0);
    for (const movie of topMoviesByGenre) assert.ok(movie.genres.includes('Drama'));
  },
  async UserProfile(gw) {
    const { user } = dataOf(await gw.post(operationText('UserProfile'), { id: '5' }));
    assert.equal(user.isPowerUser, true, 'every fifth user is a power user');
    assert.ok(user.profile.ratingCount > 0 && user.profile.favoriteGenres.length > 0);
  },
  async Recommendations(gw) {
    const rated = new Set(
      (await gw.database.db.query<{ movie_id: number }>('SELECT movie_id FROM ratings WHERE user_id = 5')).rows.map((r) => String(r.movie_id)),
    );
    for (const strategy of ['COLLABORATIVE', 'POPULAR', 'GENRE']) {
      const { recommendations } = dataOf(await gw.post(operationText('Recommendations'), { userId: '5', n: 5, strategy }));
      assert.equal(recommendations.length, 5, strategy);
      for (const r of recommendations) {
        assert.ok(r.score >= 0 && r.score <= 1, `${strategy} score ${r.score}`);
        assert.ok(!rated.has(r.movie.id), `${strategy} recommended movie ${r.movie.id}, which the user rated`);
        assert.ok(r.reason.length > 0);
      }
    }
  },
  async Me(gw) {
    const { me } = dataOf(await gw.post(operationText('Me'), {}, { userId: 7 }));
    assert.equal(me.id, '7');
    assert.match(me.email, /@example\.com$/);
    assert.equal(me.recommendations.length, 5);
  },
  async RateMovie(gw) {
    const before = dataOf(await gw.post(operationText('UserProfile'), { id: '8' })).user.profile;
    const unrated = await gw.database.db.query<{ id: number }>(
      'SELECT id FROM movies WHERE id NOT IN (SELECT movie_id FROM ratings WHERE user_id = 8) ORDER BY id LIMIT 1',
    );
    const movieId = String(unrated.rows[0].id);
    const { rateMovie } = dataOf(await gw.post(operationText('RateMovie'), { userId: '8', movieId, rating: 4.5 }));
    assert.equal(rateMovie.rating, 4.5);
    assert.equal(rateMovie.movie.id, movieId);
    assert.equal(rateMovie.user.profile.ratingCount, before.ratingCount + 1, 'the profile reflects the rating at once');
  },
  async Sectors(gw) {
    const { sectors } = dataOf(await gw.post(operationText('Sectors')));
    assert.equal(sectors.length, 12);
  },
  async Candidate(gw) {
    const { candidate } = dataOf(await gw.post(operationText('Candidate'), { id: '1' }));
    assert.equal(candidate.id, '1');
    assert.ok(candidate.skills.length >= 3);
    assert.ok(Math.abs(candidate.location.lat) <= 90);
  },
  async Job(gw) {
    const { job } = dataOf(await gw.post(operationText('Job'), { id: '1' }));
    assert.equal(job.id, '1');
    assert.ok(job.company.name.length > 0);
    assert.ok(job.salaryMax >= job.salaryMin);
  },
  async Jobs(gw) {
    const { jobs } = dataOf(await gw.post(operationText('Jobs'), { sector: 'Technology', limit: 5 }));
    assert.ok(jobs.length > 0 && jobs.length <= 5);
    for (const job of jobs) assert.equal(job.sector, 'Technology');
  },
  async Match(gw) {
    const { match } = dataOf(await gw.post(operationText('Match'), { candidateId: '1', jobId: '1', algorithm: 'WEIGHTED' }));
    assert.ok(match.score >= 0 && match.score <= 1);
    assert.equal(match.candidate.id, '1');
    assert.equal(match.job.id, '1');
  },
  async TopMatches(gw) {
    const { topMatches } = dataOf(await gw.post(operationText('TopMatches'), { candidateId: '1', limit: 5 }));
    assert.equal(topMatches.length, 5);
    const scores = topMatches.map((m: { score: number }) => m.score);
    assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
  },
  async TopCandidates(gw) {
    const { topCandidates } = dataOf(await gw.post(operationText('TopCandidates'), { jobId: '1', limit: 5, algorithm: 'SKILLS_ONLY' }));
    assert.equal(topCandidates.length, 5);
    for (const m of topCandidates) assert.equal(m.score, m.breakdown.skills, 'SKILLS_ONLY scores on skills alone');
  },
  async TravelTime(gw) {
    const paris = { lat: 48.8566, lng: 2.3522 };
    const lyon = { lat: 45.764, lng: 4.8357 };
    const { travelTime } = dataOf(await gw.post(operationText('TravelTime'), { from: paris, to: lyon }));
    assert.ok(travelTime.distanceKm > 385 && travelTime.distanceKm < 400, `Paris-Lyon is about 392 km; got ${travelTime.distanceKm}`);
    assert.ok(travelTime.minutes > 240 && travelTime.minutes < 400, `minutes ${travelTime.minutes}`);
  },
  async MatchingStats(gw) {
    const { matchingStats } = dataOf(await gw.post(operationText('MatchingStats'), { hours: 48 }));
    assert.ok(matchingStats.length > 0, 'the seeded history covers the last 30 days');
    for (const row of matchingStats) {
      assert.ok(row.totalMatches > 0 && row.p95Score >= 0 && row.p95Score <= 1);
      assert.ok(Date.parse(row.hour) > Date.now() - 49 * 3600_000);
    }
  },
  async UpdateCandidate(gw) {
    const input = { title: 'Staff Engineer', skills: ['TypeScript', 'Go'], location: { city: 'Lyon', lat: 45.764, lng: 4.8357 } };
    const { updateCandidate } = dataOf(await gw.post(operationText('UpdateCandidate'), { id: '2', input }));
    assert.equal(updateCandidate.title, 'Staff Engineer');
    assert.deepEqual(updateCandidate.skills, ['TypeScript', 'Go']);
    assert.equal(updateCandidate.location.city, 'Lyon');
    const { candidate } = dataOf(await gw.post(operationText('Candidate'), { id: '2' }));
    assert.equal(candidate.title, 'Staff Engineer', 'a later query reflects the update');
  },
  async UpdateJob(gw) {
    const { updateJob } = dataOf(await gw.post(operationText('UpdateJob'), { id: '2', input: { remote: true, title: 'Lead Engineer' } }));
    assert.equal(updateJob.remote, true);
    assert.equal(updateJob.title, 'Lead Engineer');
  },
  async UpdateAlgorithmWeights(gw) {
    const weights = { skills: 0.1, experience: 0.1, location: 0.7, salary: 0.1 };
    const { updateAlgorithmWeights } = dataOf(await gw.post(operationText('UpdateAlgorithmWeights'), { algorithm: 'GEO_FIRST', weights }));
    assert.deepEqual(updateAlgorithmWeights, { algorithm: 'GEO_FIRST', ...weights });
  },
  async CacheInvalidated(gw) {
    const client = createClient({ url: gw.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, lazy: false });
    try {
      const received: Array<{ typename: string; id: string; reason: string; at: string }> = [];
      const heard = new Promise<void>((resolve, reject) => {
        client.subscribe(
          { query: operationText('CacheInvalidated'), variables: { typenames: ['Candidate'], ids: ['3'] } },
          {
            next: (result) => {
              if (result.errors) return reject(new Error(JSON.stringify(result.errors)));
              received.push((result.data as any).cacheInvalidated);
              resolve();
            },
            error: reject,
            complete: () => undefined,
          },
        );
      });
      await waitFor(() => gw.gateway.services.feed.subscriberCount > 0);
      // Job 3 does not match the filter; candidate 3 does.
      dataOf(await gw.post(operationText('UpdateJob'), { id: '3', input: { title: 'Filtered out' } }));
      dataOf(await gw.post(operationText('UpdateCandidate'), { id: '3', input: { title: 'Heard' } }));
      await heard;
      assert.equal(received.length, 1);
      assert.equal(received[0].typename, 'Candidate');
      assert.equal(received[0].id, '3');
      assert.equal(received[0].reason, 'CandidateUpdated');
      assert.ok(Math.abs(Date.parse(received[0].at) - Date.now()) < 60_000);
    } finally {
      await client.dispose();
    }
  },
};

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the client contract', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });
  after(async () => {
    await gw?.stop();
  });

  test('the project copy of the contract is the shared contract', { skip: !existsSync(sharedContractPath) && 'no ../shared beside the project' }, () => {
    assert.equal(readFileSync(contractPath, 'utf8'), readFileSync(sharedContractPath, 'utf8'));
  });

  test('every operation validates against the schema', () => {
    const errors = validate(buildSchema(), document);
    assert.deepEqual(errors.map((e) => e.message), []);
  });

  test('every operation has a case here', () => {
    const names = operations.map((o) => o.name!.value).sort();
    assert.deepEqual(names, Object.keys(cases).sort());
  });

  for (const operation of operations) {
    const name = operation.name!.value;
    test(`${operation.operation} ${name} executes against the seeded database`, async () => {
      await cases[name](gw);
    });
  }
});
