/**
 * A write stores what its statement returned (rows as it left them) with its new versions, so
 * the reads after it need no statement (TieredLoader.beforeWrite, invalidate.ts); never when
 * another write gave those tags a version in between. On two in-process gateways over one
 * database and the test's own redis-server (a Redis Cluster with TEST_REDIS=cluster):
 *
 * 1. RateMovie runs one statement (before: three, the write and then the movie and the profile
 *    loaded again), and the movie and the profile read after it, on the writing instance and
 *    on the other, run none and show what Postgres holds; the rater's recommendations, computed
 *    again, read their ratings from what the write stored; UpdateCandidate likewise;
 * 2. over a source the test controls: a written value with nothing in between is stored; one
 *    whose tag another write versioned in between is not, whether this instance knows of that
 *    write (its own) or only Redis does (another instance's, its bus message not heard yet); a
 *    read that misses while the write is being invalidated waits for its value (and loads from
 *    the source only if it was not stored);
 * 3. random interleavings (fast-check's scheduler) of two such writes on the two instances and
 *    a read: every instance then reads the value committed last.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startTestGateway, dataOf, type TestGateway } from '../helpers/gateway.js';
import { startTestRedis, type TestRedis } from '../helpers/testRedis.js';
import { TieredLoader, loaderSpec, type TieredLoaderSpec } from '../../src/cache/tieredLoader.js';
import type { CacheObserver } from '../../src/cache/index.js';
import { moviesByIds } from '../../src/db/sources/movies.js';
import { userProfilesByIds } from '../../src/db/sources/users.js';
import { tapStatements } from '../helpers/statements.js';

let redis: TestRedis;
let a: TestGateway;
let b: TestGateway;
before(async () => {
  redis = await startTestRedis();
  a = await startTestGateway({ redisUrl: redis.url });
  b = await startTestGateway({ redisUrl: redis.url, database: a.database });
});
after(async () => {
  await b?.stop();
  await a?.stop();
  await redis?.stop();
});

const DEBUG = { headers: { 'x-cache-debug': '1' } };
/** The SQL statements `query` ran on `gw`, and its data. */
async function statementsOf(gw: TestGateway, query: string, variables?: Record<string, unknown>): Promise<{ sql: number; data: any }> {
  const response = await gw.post(query, variables, DEBUG);
  return { sql: response.body.extensions?.cache?.sqlStatements, data: dataOf(response) };
}
/** Reads `query` on `gw` until it runs no statement (its entries written back), and returns its data. */
async function warm(gw: TestGateway, query: string): Promise<any> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const { sql, data } = await statementsOf(gw, query);
    if (sql === 0) return data;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`never served from the cache: ${query}`);
}

describe('a mutation stores the rows its statement returned', () => {
  test('RateMovie: one statement; the movie, the profile and the ratings after it, on both instances, run none and are what Postgres holds', async () => {
    const recommendations = '{ recommendations(userId: "9", n: 5) { movie { id } } }';
    const profile = '{ user(id: "9") { profile { ratingCount avgRating favoriteGenres } } }';
    let movieId = '';
    for (const gw of [a, b]) movieId = (await warm(gw, recommendations)).recommendations[0].movie.id;
    const movie = `{ movie(id: "${movieId}") { ratingCount avgRating } }`;
    for (const gw of [a, b]) {
      await warm(gw, movie);
      await warm(gw, profile);
    }
    const rate = await statementsOf(a, `mutation { rateMovie(userId: "9", movieId: "${movieId}", rating: 4.5) { rating movie { ratingCount } user { profile { ratingCount } } } }`);
    assert.equal(rate.sql, 1, 'the write alone: the movie and the profile come from its statement');
    const [truthMovie] = await moviesByIds(a.database.db, [Number(movieId)]);
    const [truthProfile] = await userProfilesByIds(a.database.db, [9]);
    assert.equal(rate.data.rateMovie.movie.ratingCount, truthMovie!.rating_count);
    for (const gw of [a, b]) {
      const read = await statementsOf(gw, movie);
      assert.equal(read.sql, 0, 'the movie is read from the cache');
      assert.deepEqual(read.data.movie, { ratingCount: truthMovie!.rating_count, avgRating: truthMovie!.avg_rating });
      const readProfile = await statementsOf(gw, profile);
      assert.equal(readProfile.sql, 0, 'the profile is read from the cache');
      assert.deepEqual(readProfile.data.user.profile, {
        ratingCount: truthProfile.rating_count,
        avgRating: truthProfile.avg_rating,
        favoriteGenres: truthProfile.favorite_genres,
      });
    }
    // The recommendations are computed again (the ratings changed), from the ratings the write
    // stored: the other instance reads none from Postgres, and leaves out the movie just rated.
    const tap = tapStatements(b.gateway.services.db);
    try {
      const again = dataOf(await b.post(recommendations));
      assert.ok(!again.recommendations.some((r: { movie: { id: string } }) => r.movie.id === movieId), 'a movie the user rated is not recommended back');
      assert.deepEqual(tap.statements.filter((sql) => sql.includes("json_build_object('movieId'")), [], 'the ratings were not read again');
    } finally {
      tap.remove();
    }
  });

  test('UpdateCandidate: one statement; the candidate after it, on both instances, runs none and is what Postgres holds', async () => {
    const candidate = '{ candidate(id: "5") { title skills } }';
    for (const gw of [a, b]) await warm(gw, candidate);
    const update = await statementsOf(a, 'mutation { updateCandidate(id: "5", input: { title: "Keeper of written values" }) { title } }');
    assert.equal(update.sql, 1, 'the write alone: the candidate comes from its statement');
    for (const gw of [a, b]) {
      const read = await statementsOf(gw, candidate);
      assert.equal(read.sql, 0, 'the candidate is read from the cache');
      assert.equal(read.data.candidate.title, 'Keeper of written values');
    }
  });
});

/** The source of truth of one key, which the test changes as a write's statement would. */
const sources = new Map<number, string>();
/** Keys read from `sources`, all told. */
let sourceReads = 0;
/** A spec over `sources`, tagged as candidates are: the invalidator's CandidateUpdated reaches it. */
const spec: TieredLoaderSpec<number, string> = loaderSpec({
  type: 'WrittenValue',
  key: (id: number) => `strata:test:written-value:${id}`,
  tags: (id: number) => [`Candidate:${id}`],
  ttlMs: 60_000,
  load: async (ids: readonly number[]) => {
    sourceReads += ids.length;
    return ids.map((id) => sources.get(id));
  },
});
const quiet: CacheObserver = { lookup: () => undefined, duration: () => undefined };
const loaderOn = (gw: TestGateway) => new TieredLoader(spec, gw.gateway.services.cache.tiersFor(quiet), {});
/** One request's read of `id` through every tier of `gw`. */
const read = (gw: TestGateway, id: number) => Promise.resolve(loaderOn(gw).fetch(id));
/** What a mutation runs after its statement: the invalidation, with the value the statement returned. */
const invalidate = (gw: TestGateway, id: number, written: ReturnType<TieredLoader<number, string>['beforeWrite']>, value: string) =>
  gw.gateway.services.invalidator.invalidate([{ type: 'CandidateUpdated', candidateId: id }], undefined, written ? [written(value)] : []);
/** Lets write-backs reach Redis and bus messages reach the other instance. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('a written value is stored only when no other write came in between', () => {
  /** A key read once (so its version is known), then written through on `a` with `between` run after the statement. */
  async function writeThrough(id: number, between: () => Promise<unknown>): Promise<string | undefined> {
    sources.set(id, 'old');
    await read(a, id);
    await settle();
    const written = loaderOn(a).beforeWrite(id);
    assert.ok(written, 'the version of a key just read is known');
    sources.set(id, 'written');
    await between();
    await invalidate(a, id, written, 'written');
    await settle();
    // Changed behind the tiers' back: a read that reaches the source shows it, one served the written value does not.
    sources.set(id, 'unseen');
    return read(a, id);
  }

  test('nothing in between: the next read is the written value, not the source', async () => {
    assert.equal(await writeThrough(1, async () => undefined), 'written');
  });

  test('a write on this instance in between: not stored', async () => {
    assert.equal(await writeThrough(2, () => a.gateway.services.invalidator.invalidate([{ type: 'CandidateUpdated', candidateId: 2 }])), 'unseen');
  });

  test('a write Redis has and this instance has not heard of yet: not stored', async () => {
    const tagKey = a.gateway.services.cache.keys.tagVersion('Candidate:3');
    assert.equal(await writeThrough(3, () => redis.client.set(tagKey, 'another-instance', 'PX', 60_000)), 'unseen');
  });

  /**
   * A read that misses while the write of `id` is being invalidated: its new versions are in
   * Redis, whether it stores its value is not decided yet (the read starts when setVersions has
   * answered, and the invalidation goes on once the read has had time to reach Redis).
   */
  async function readDuringInvalidation(id: number, between: () => Promise<unknown>): Promise<{ read: string | undefined; sourceReads: number }> {
    sources.set(id, 'old');
    await read(a, id);
    await settle();
    const written = loaderOn(a).beforeWrite(id);
    sources.set(id, 'written');
    await between();
    const reads = sourceReads;
    const l2 = a.gateway.services.cache.l2!;
    const setVersions = l2.setVersions.bind(l2);
    let during: Promise<string | undefined> | undefined;
    l2.setVersions = async (...args) => {
      const replaced = await setVersions(...args);
      // From here on the source holds something else: a read that reaches it shows so.
      sources.set(id, 'later');
      during = read(a, id);
      await new Promise((resolve) => setTimeout(resolve, 50));
      return replaced;
    };
    try {
      await invalidate(a, id, written, 'written');
    } finally {
      l2.setVersions = setVersions;
    }
    return { read: await during, sourceReads: sourceReads - reads };
  }

  test('a read that misses meanwhile waits for the written value instead of loading it', async () => {
    assert.deepEqual(await readDuringInvalidation(4, async () => undefined), { read: 'written', sourceReads: 0 });
  });

  test('a read that waited for a written value that was not stored loads it then', async () => {
    const tagKey = a.gateway.services.cache.keys.tagVersion('Candidate:5');
    assert.deepEqual(await readDuringInvalidation(5, () => redis.client.set(tagKey, 'another-instance', 'PX', 60_000)), { read: 'later', sourceReads: 1 });
  });
});

test('random interleavings of two written-through writes on two instances and a read (fast-check scheduler): every instance reads the value committed last', { timeout: 300_000 }, async () => {
  let id = 1000;
  let stale = 0;
  await fc.assert(
    fc.asyncProperty(fc.scheduler(), fc.boolean(), async (s, warm) => {
      id++;
      sources.set(id, 'old');
      if (warm) {
        await read(a, id);
        await read(b, id);
        await settle();
      }
      let last = 'old';
      const write = (gw: TestGateway, value: string) =>
        s.schedule(Promise.resolve(), `${value}: reads its versions`).then(async () => {
          const written = loaderOn(gw).beforeWrite(id);
          await s.schedule(Promise.resolve(), `${value}: commits`);
          sources.set(id, (last = value));
          await s.schedule(Promise.resolve(), `${value}: invalidates`);
          await invalidate(gw, id, written, value);
        });
      const reading = s.schedule(Promise.resolve(), 'a read').then(() => read(a, id));
      await s.waitFor(Promise.all([write(a, 'on a'), write(b, 'on b'), reading]));
      await settle();
      for (const gw of [a, b]) {
        const after = await read(gw, id);
        if (after !== last) stale++;
        assert.equal(after, last, `stale after ${s.report().map((r) => r.label).join(' → ')}`);
      }
    }),
    { numRuns: 300 },
  );
  console.log(`  300 interleavings: ${stale} stale reads`);
});
