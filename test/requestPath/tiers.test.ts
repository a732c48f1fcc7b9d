/**
 * The lookup order against a real Redis (the test's own redis-server) and Postgres:
 * L1, then one Redis round trip for the tick (and one more for tags Redis has no version of,
 * which get their first before the source is read), then one statement per entity type, then
 * one write-back pipeline — counted from the outside (INFO commandstats, the pool's statements).
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, dataOf, type TestGateway } from '../helpers/gateway.js';
import { startTestRedis, callsBetween, onCluster, type TestRedis } from '../helpers/testRedis.js';
import { tapStatements, type StatementTap } from '../helpers/statements.js';

let redis: TestRedis;
let gw: TestGateway;
let tap: StatementTap;
before(async () => {
  redis = await startTestRedis();
  // The entry tiers are under test: whole answers would stand in front of them (the response
  // tier has its own tests, responseTier.test.ts).
  // Heartbeats a minute apart: the bus's PING and PUBLISH stay out of the counted windows.
  gw = await startTestGateway({ redisUrl: redis.url, env: { CACHE_RESPONSE_MB: '0', BUS_HEARTBEAT_MS: '60000' } });
  tap = tapStatements(gw.gateway.services.db);
});
after(async () => {
  tap.remove();
  await gw.stop();
  await redis.stop();
});

const cache = () => gw.gateway.services.cache;
/** The default CACHE_GRACE_S: entries stay in Redis this long past their TTL, for stale serving. */
const grace = 300_000;
const MOVIES = 'query ($ids: [ID!]!) { movies(ids: $ids) { id title year genres avgRating ratingCount } }';
const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => String(from + i));

/** Sends a query, returning its data and what it cost in Redis commands and SQL statements. */
async function measured(query: string, variables?: Record<string, unknown>) {
  await new Promise((r) => setTimeout(r, 20)); // let earlier write-backs land before counting
  const before = await redis.commandCalls();
  tap.reset();
  const data = dataOf(await gw.post(query, variables));
  await new Promise((r) => setTimeout(r, 20)); // let this request's write-back land
  const redisCalls = callsBetween(before, await redis.commandCalls());
  return { data, redisCalls, sql: [...tap.statements] };
}

/** Tests that count one Redis's commands (a round trip is one MGET there; on a cluster, GETs in a pipeline per node). */
const countsOneRedis = onCluster && 'counts the commands of one Redis (a round trip is one MGET); on a cluster it is a pipeline of GETs per node';

describe('lookup order', () => {
  beforeEach(() => cache().l1!.clear());

  test('cold: 50 movies cost one MGET, one round trip for their tags\' first versions, one SQL statement and one write-back pipeline', { skip: countsOneRedis }, async () => {
    const { data, redisCalls, sql } = await measured(MOVIES, { ids: ids(101, 50) });
    assert.equal(data.movies.length, 50);
    // The read's MGET; the first version of each movie's tag (SET NX, never written before)
    // and an MGET of what Redis kept, before the statement; then the 50 entries.
    assert.deepEqual(redisCalls, { mget: 2, set: 100 });
    assert.equal(sql.length, 1);
    assert.equal(await redis.client.get(cache().keys.tagVersion('Movie:101')), cache().versions!.get('Movie:101'));
  });

  test('L1 flushed, L2 warm: one Redis round trip and zero SQL', { skip: countsOneRedis }, async () => {
    await measured(MOVIES, { ids: ids(201, 30) });
    cache().l1!.clear();
    const { data, redisCalls, sql } = await measured(MOVIES, { ids: ids(201, 30) });
    assert.equal(data.movies.length, 30);
    assert.deepEqual(redisCalls, { mget: 1 });
    assert.deepEqual(sql, []);
  });

  test('warm L1: a repeated query issues zero SQL and zero Redis calls', async () => {
    const first = await measured(MOVIES, { ids: ids(301, 20) });
    const again = await measured(MOVIES, { ids: ids(301, 20) });
    assert.deepEqual(again.data, first.data);
    assert.deepEqual(again.redisCalls, {});
    assert.deepEqual(again.sql, []);
  });

  test('the misses of every loader in one tick share one MGET, and their tags\' first versions one more', { skip: countsOneRedis }, async () => {
    const query = '{ movie(id: "401") { title } candidate(id: "7") { name } job(id: "8") { title } user(id: "9") { name } }';
    const { redisCalls, sql } = await measured(query);
    assert.equal(redisCalls.mget, 2, JSON.stringify(redisCalls));
    assert.equal(redisCalls.set, 8, '4 entries and their tags\' first versions');
    assert.equal(sql.length, 4, 'one statement per entity type');
  });

  test('entries live in Redis for the TTL the schema gives their type, plus the grace period', async () => {
    await measured('{ movie(id: "451") { title } job(id: "11") { title } candidate(id: "12") { name } }');
    const keys = cache().keys;
    const expected: Array<[string, number]> = [
      [keys.movieMetadata(451), cache().policy.forType('Movie').ttlMs],
      [keys.jobProfile(11), cache().policy.forType('Job').ttlMs],
      [keys.candidateProfile(12), cache().policy.forType('Candidate').ttlMs],
    ];
    for (const [key, ttlMs] of expected) {
      const pttl = (await redis.client.pttl(key)) - grace;
      assert.ok(pttl <= ttlMs && pttl > ttlMs - 10_000, `${key}: PTTL ${pttl} + grace, schema ${ttlMs}`);
    }
    assert.equal(expected[0][1], 86_400_000);
  });

  test('a key read more than 100 times within the hour is stored again for twice its TTL', async () => {
    const key = cache().keys.movieMetadata(481);
    // The first read loads it; the next 101 are hits.
    for (let i = 0; i < 102; i++) await gw.post('{ movie(id: "481") { title } }');
    // Its next load (L1 emptied, the Redis entry gone) stores it with the adapted TTL.
    cache().l1!.clear();
    await redis.client.del(key);
    await measured('{ movie(id: "481") { title } }');
    const pttl = (await redis.client.pttl(key)) - grace;
    assert.ok(pttl <= 2 * 86_400_000 && pttl > 2 * 86_400_000 - 10_000, `PTTL ${pttl} + grace`);
  });
});

describe('computed fields served from the tiers', () => {
  // ticks: round trips from a warm L2 — a list of ids first, then (next tick) the movies they name.
  const fields: Array<[name: string, query: string, key: () => string, coordinate: string, ticks: number]> = [
    ['travelTime', '{ travelTime(from: {lat: 48.8566, lng: 2.3522}, to: {lat: 45.764, lng: 4.8357}) { minutes distanceKm } }',
      () => cache().keys.geoDistance({ lat: 48.8566, lng: 2.3522 }, { lat: 45.764, lng: 4.8357 }), 'Query.travelTime', 1],
    ['popularMovies', '{ popularMovies(limit: 5) { id ratingCount } }', () => cache().keys.popularMovies(5), 'Query.popularMovies', 2],
    ['topMoviesByGenre', '{ topMoviesByGenre(genre: "Drama", limit: 5) { id } }', () => cache().keys.topMoviesByGenre('Drama', 5), 'Query.topMoviesByGenre', 2],
    ['matchingStats', '{ matchingStats(hours: 48) { hour sector totalMatches avgScore p95Score } }', () => cache().keys.matchingStats(null, 48), 'Query.matchingStats', 1],
  ];
  for (const [name, query, key, coordinate, ticks] of fields) {
    test(`${name}: the same answer cold, from L1 and from L2, and an L2 TTL from ${coordinate}'s hint`, async () => {
      cache().l1!.clear();
      await redis.client.del(key());
      const cold = await measured(query);
      const pttl = (await redis.client.pttl(key())) - grace;
      const ttlMs = cache().policy.forField(coordinate).ttlMs;
      assert.ok(pttl <= ttlMs && pttl > ttlMs - 10_000, `PTTL ${pttl} + grace, hint ${ttlMs}`);
      const fromL1 = await measured(query);
      assert.deepEqual(fromL1.data, cold.data);
      assert.deepEqual(fromL1.sql, []);
      cache().l1!.clear();
      const fromL2 = await measured(query);
      assert.deepEqual(fromL2.data, cold.data, 'what went through JSON in Redis answers the same');
      assert.deepEqual(fromL2.sql, []);
      if (!onCluster) assert.equal(fromL2.redisCalls.mget, ticks);
    });
  }
});

describe('visibility', () => {
  test('x-cache-debug: 1 reports what the request cost at each level', async () => {
    cache().l1!.clear();
    const query = '{ a: movie(id: "471") { title } b: movie(id: "472") { title } }';
    const debug = { headers: { 'x-cache-debug': '1' } };
    const cold = (await gw.post(query, {}, debug)).body.extensions!.cache;
    // The read, the tags' first versions, the write-back.
    assert.deepEqual(cold, { l1Hits: 0, l2Hits: 0, misses: 2, stale: 0, redisRoundTrips: 3, sqlStatements: 1 });
    await new Promise((r) => setTimeout(r, 20));
    const warm = (await gw.post(query, {}, debug)).body.extensions!.cache;
    assert.deepEqual(warm, { l1Hits: 2, l2Hits: 0, misses: 0, stale: 0, redisRoundTrips: 0, sqlStatements: 0 });
    cache().l1!.clear();
    const fromL2 = (await gw.post(query, {}, debug)).body.extensions!.cache;
    assert.deepEqual(fromL2, { l1Hits: 0, l2Hits: 2, misses: 0, stale: 0, redisRoundTrips: 1, sqlStatements: 0 });
    assert.equal((await gw.post(query)).body.extensions, undefined, 'nothing without the header');
  });

  test('/metrics counts hits and misses per level and type, memory, round trips and statements', async () => {
    await gw.post('{ movie(id: "473") { title } }', {}, { operationName: undefined });
    await gw.post('query Movie { movie(id: "473") { title } }');
    const text = await (await fetch(new URL('/metrics', gw.url))).text();
    const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? NaN);
    assert.ok(value(/^cache_hits_total\{level="l1",type="Movie"\} (\d+)/m) >= 1);
    assert.ok(value(/^cache_misses_total\{level="l2",type="Movie"\} (\d+)/m) >= 1);
    assert.ok(value(/^cache_memory_bytes\{level="l1"\} (\d+)/m) > 0);
    assert.ok(value(/^strata_redis_round_trips_total (\d+)/m) >= 1);
    assert.ok(value(/^strata_sql_statements_total (\d+)/m) >= 1);
    assert.match(text, /cache_operation_duration_seconds_count\{level="l2"\} \d+/);
    assert.match(text, /strata_graphql_request_duration_seconds_count\{type="query",operation="Movie"\} \d+/);
    assert.match(text, /strata_graphql_request_duration_seconds_count\{type="query",operation="other"\} \d+/);
  });
});

describe('writes', () => {
  test('a mutation gives what it changed a new version in Redis before it answers; the old entry is never served', async () => {
    const versionKey = cache().keys.tagVersion('Candidate:14');
    await measured('{ candidate(id: "14") { title } }');
    const old = await redis.client.get(versionKey);
    assert.ok(old);
    dataOf(await gw.post('mutation { updateCandidate(id: "14", input: { title: "Principal Engineer" }) { id } }'));
    assert.notEqual(await redis.client.get(versionKey), old, 're-versioned in Redis before the response');
    // What another instance sees: L2 only. The old entry is still there, and must read as invalid.
    cache().l1!.clear();
    cache().versions!.clear();
    const { data, sql } = await measured('{ candidate(id: "14") { title } }');
    assert.equal(data.candidate.title, 'Principal Engineer', 'the entry from before the write was not served');
    // What was served is the entry the write stored from its own statement (invalidate.ts).
    assert.equal(sql.length, 0, sql.join('\n'));
  });

  test('a rating refreshes the movie\'s stats and the user\'s profile, and leaves the user\'s row cached', async () => {
    const read = '{ movie(id: "2") { ratingCount } user(id: "15") { name profile { ratingCount } } }';
    const before = (await measured(read)).data;
    const rated = await gw.database.db.query('SELECT 1 FROM ratings WHERE user_id = 15 AND movie_id = 2');
    dataOf(await gw.post('mutation { rateMovie(userId: "15", movieId: "2", rating: 3.5) { rating } }'));
    const { data: after, sql } = await measured(read);
    const added = rated.rowCount === 0 ? 1 : 0;
    assert.equal(after.movie.ratingCount, before.movie.ratingCount + added);
    assert.equal(after.user.profile.ratingCount, before.user.profile.ratingCount + added);
    assert.equal(after.user.name, before.user.name);
    // The movie and the profile are those the write's statement returned and stored
    // (invalidate.ts); the user's row (User:15, not User:15:ratings) stayed cached.
    assert.equal(sql.length, 0, sql.join('\n'));
  });
});

describe('Redis failing', { skip: onCluster && 'freezes and kills one redis-server; test/faults/clusterFailover.test.ts kills cluster nodes' }, () => {
  test('frozen Redis: queries go on from L1 and Postgres with no errors, then L2 comes back', async () => {
    redis.freeze();
    try {
      for (const id of ['461', '462', '463']) {
        const response = await gw.post(`{ movie(id: "${id}") { id title } }`);
        assert.equal(response.body.errors, undefined, JSON.stringify(response.body.errors));
        assert.equal(response.body.data.movie.id, id);
      }
    } finally {
      redis.thaw();
    }
    // Once the breaker closes again, write-backs reach Redis.
    const deadline = Date.now() + 10_000;
    const key = cache().keys.movieMetadata(464);
    while ((await redis.client.exists(key)) === 0) {
      assert.ok(Date.now() < deadline, 'L2 did not come back within 10 s');
      cache().l1!.clear();
      await gw.post('{ movie(id: "464") { id } }');
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  test('Redis killed: queries go on from L1 and Postgres with no errors; a new Redis on the same port is used again by itself', async () => {
    await redis.kill();
    try {
      const started = Date.now();
      for (let id = 471; id < 491; id++) {
        const response = await gw.post(`{ movie(id: "${id}") { id title } }`);
        assert.equal(response.body.errors, undefined, JSON.stringify(response.body.errors));
        assert.equal(response.body.data.movie.id, String(id));
      }
      // A hang bound, not a speed figure: nothing waits on a Redis that is gone (no offline
      // queue, connection refused at once, the breaker open after a few failures).
      assert.ok(Date.now() - started < 5000, `20 queries with Redis down took ${Date.now() - started} ms`);
    } finally {
      await redis.restart();
    }
    const deadline = Date.now() + 15_000;
    const key = cache().keys.movieMetadata(491);
    while ((await redis.client.exists(key)) === 0) {
      assert.ok(Date.now() < deadline, 'L2 did not come back within 15 s of Redis restarting');
      cache().l1!.clear();
      const response = await gw.post('{ movie(id: "491") { id } }');
      assert.equal(response.body.errors, undefined, JSON.stringify(response.body.errors));
      await new Promise((r) => setTimeout(r, 200));
    }
  });
});
