/** The invalidation rules (event → tags), the outbox's events, and the version mirror's guards. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RATING_MILESTONE, tagsOf, viewsToRefresh } from '../../src/invalidation/rules.js';
import { entitiesOf } from '../../src/invalidation/events.js';
import { eventsOf } from '../../src/invalidation/pgListen.js';
import { TagVersions } from '../../src/cache/versions.js';
import { FEED_QUEUE_LIMIT, InvalidationFeed } from '../../src/invalidation/feed.js';
import type { GraphQLError } from 'graphql';

test('each event invalidates what the seeds say, by tag', () => {
  assert.deepEqual(tagsOf({ type: 'RatingCreated', userId: 7, movieId: 42, movieRatingCount: 3 }), ['User:7:ratings', 'Movie:42']);
  assert.deepEqual(tagsOf({ type: 'RatingDeleted', userId: 7, movieId: 42 }), ['User:7:ratings', 'Movie:42']);
  // Its profile; every match of it (they record what the score reads of it, Candidate:3:scoring),
  // and rankings over all candidates: unless the writer knows no scored field changed.
  assert.deepEqual(tagsOf({ type: 'CandidateUpdated', candidateId: 3 }), ['Candidate:3', 'Candidate:3:scoring', 'Candidate:*']);
  assert.deepEqual(tagsOf({ type: 'CandidateUpdated', candidateId: 3, scoring: true }), ['Candidate:3', 'Candidate:3:scoring', 'Candidate:*']);
  assert.deepEqual(tagsOf({ type: 'CandidateUpdated', candidateId: 3, scoring: false }), ['Candidate:3']);
  assert.deepEqual(tagsOf({ type: 'JobUpdated', jobId: 9 }), ['Job:9', 'Job:9:scoring', 'Job:*']);
  assert.deepEqual(tagsOf({ type: 'JobUpdated', jobId: 9, scoring: false }), ['Job:9']);
  assert.deepEqual(tagsOf({ type: 'AlgorithmUpdated', algorithm: 'WEIGHTED' }), ['AlgorithmWeights:WEIGHTED']);
  assert.deepEqual(tagsOf({ type: 'ViewRefreshed', view: 'movie_stats' }), ['View:movie_stats']);
  assert.deepEqual(tagsOf({ type: 'CompanyUpdated', companyId: 2 }), ['Company:2']);
  // Written in psql, perhaps its genres: every profile and recommendation built from them.
  assert.deepEqual(tagsOf({ type: 'MovieUpdated', movieId: 5 }), ['Movie:5', 'Movie:*:genres']);
  // Seed 000's geo:*: every travel time, and every match (they score travel time).
  assert.deepEqual(tagsOf({ type: 'GeoDataUpdated' }), ['Geo:*']);
});

test(`only the ${RATING_MILESTONE}th, ${2 * RATING_MILESTONE}th, … new rating of a movie asks for the movie views to be refreshed`, () => {
  const rating = (movieRatingCount: number | null) => ({ type: 'RatingCreated' as const, userId: 1, movieId: 1, movieRatingCount });
  assert.deepEqual(viewsToRefresh(rating(RATING_MILESTONE)), ['movie_stats', 'top_movies_by_genre']);
  assert.deepEqual(viewsToRefresh(rating(2 * RATING_MILESTONE)), ['movie_stats', 'top_movies_by_genre']);
  assert.deepEqual(viewsToRefresh(rating(RATING_MILESTONE + 1)), []);
  assert.deepEqual(viewsToRefresh(rating(null)), []);
  assert.deepEqual(viewsToRefresh({ type: 'RatingUpdated', userId: 1, movieId: 1, movieRatingCount: RATING_MILESTONE }), []);
});

test('announcements name the changed entities', () => {
  const at = new Date(0);
  assert.deepEqual(entitiesOf({ type: 'RatingUpdated', userId: 7, movieId: 42, movieRatingCount: 1 }, at), [
    { typename: 'User', id: '7', reason: 'RatingUpdated', at },
    { typename: 'Movie', id: '42', reason: 'RatingUpdated', at },
  ]);
});

test('outbox rows become one event per changed entity', () => {
  const row = (table_name: string, op: 'INSERT' | 'UPDATE' | 'DELETE', row_key: Record<string, unknown>) => ({ id: '1', table_name, op, row_key });
  assert.deepEqual(
    eventsOf([
      row('candidates', 'UPDATE', { id: 3 }),
      row('candidates', 'UPDATE', { id: 3 }),
      row('ratings', 'INSERT', { user_id: 7, movie_id: 42 }),
      row('ratings', 'DELETE', { user_id: 7, movie_id: 43 }),
      row('algorithm_weights', 'UPDATE', { algorithm: 'GEO_FIRST' }),
      row('movies', 'UPDATE', { id: 5 }),
      row('road_model', 'UPDATE', { id: 1 }),
    ]),
    [
      { type: 'CandidateUpdated', candidateId: 3 },
      { type: 'RatingCreated', userId: 7, movieId: 42, movieRatingCount: null },
      { type: 'RatingDeleted', userId: 7, movieId: 43 },
      { type: 'AlgorithmUpdated', algorithm: 'GEO_FIRST' },
      { type: 'MovieUpdated', movieId: 5 },
      { type: 'GeoDataUpdated' },
    ],
  );
});

test('a version read from Redis before another instance changed the tag is not learned; one read after is', () => {
  const versions = new TagVersions();
  versions.learn('Movie:1', 'v1', versions.now());
  const readBefore = versions.now();
  versions.forget(['Movie:1']); // the bus: another instance wrote
  versions.learn('Movie:1', 'v1', readBefore); // a read that began before the message
  assert.equal(versions.get('Movie:1'), undefined, 'the old version is not trusted again');
  versions.learn('Movie:1', 'v2', versions.now());
  assert.equal(versions.get('Movie:1'), 'v2');
  const readBeforeClear = versions.now();
  versions.clear();
  versions.learn('Movie:1', 'v2', readBeforeClear);
  assert.equal(versions.get('Movie:1'), undefined, 'nor across a clear (the bus reconnected)');
});

test("a write's own new version is not overwritten by a read begun before Redis took it, nor kept over a later write of another instance", () => {
  const versions = new TagVersions();
  const readBeforeBump = versions.now();
  const bumped = versions.bump(['Job:9']);
  const bumpedAt = versions.now();
  versions.learn('Job:9', 'old', readBeforeBump);
  assert.equal(versions.get('Job:9'), bumped['Job:9']);
  const readBeforeRedisTookIt = versions.now(); // saw the old version: Redis did not have ours yet
  versions.settle(bumped, bumpedAt); // Redis has ours now
  versions.learn('Job:9', 'old', readBeforeRedisTookIt);
  assert.equal(versions.get('Job:9'), bumped['Job:9'], 'the old version read meanwhile is not learned');
  // Another instance wrote Job:9 after this one's bump; its message came before this one's Redis reply.
  const again = versions.bump(['Job:9']);
  const againAt = versions.now();
  versions.forget(['Job:9']);
  versions.settle(again, againAt);
  assert.equal(versions.get('Job:9'), undefined, 'left to be read from Redis, which may hold the other instance\'s version');
});

test('while any instance withholds writes Redis did not take, no version is trusted; once the last is done, the mirror starts over', async () => {
  const versions = new TagVersions();
  versions.learn('Candidate:1', 'v1', versions.now());
  versions.withhold('writer A', 30_000);
  versions.withhold('writer B', 30_000);
  assert.equal(versions.get('Candidate:1'), undefined);
  assert.equal(versions.trusted, false);
  versions.learn('Candidate:1', 'v1', versions.now()); // a promoted replica may answer the old version
  versions.release('writer A');
  assert.equal(versions.trusted, false, 'B still withholds');
  versions.release('writer A'); // a heartbeat saying so again changes nothing
  versions.release('writer B');
  assert.equal(versions.trusted, true);
  assert.equal(versions.get('Candidate:1'), undefined, 'what was learned meanwhile is forgotten');
  versions.withhold('a writer that died', 20);
  assert.equal(versions.trusted, false);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(versions.trusted, true, 'a withholder never heard from again is let go after its bound');
});

test('a listener that falls FEED_QUEUE_LIMIT behind is ended with SUBSCRIBER_TOO_SLOW, its queue released, and does not hold up one that reads', async () => {
  const feed = new InvalidationFeed();
  const stuck = feed.subscribe({});
  const reading = feed.subscribe({ typenames: ['Job'] });
  const at = new Date();
  let heard = 0;
  for (let i = 0; i < 5 * FEED_QUEUE_LIMIT; i++) {
    feed.announce([{ typename: 'Job', id: String(i), reason: 'JobUpdated', at }]);
    if (i === FEED_QUEUE_LIMIT - 1) assert.equal(feed.queued, FEED_QUEUE_LIMIT + 1, 'the stuck listener holds up to the limit, the reader the one it is about to read');
    const next = await reading.next();
    assert.equal(next.value.cacheInvalidated.id, String(i));
    heard++;
  }
  assert.equal(heard, 5 * FEED_QUEUE_LIMIT);
  assert.equal(feed.queued, 0, 'the stuck listener was cut off at the limit and holds nothing');
  assert.equal(feed.tooSlow, 1);
  await assert.rejects(stuck.next(), (err: GraphQLError) => err.extensions.code === 'SUBSCRIBER_TOO_SLOW');
  assert.equal((await stuck.next()).done, true, 'after the error, the iterator is done');
  await reading.return!();
  assert.equal(feed.subscriberCount, 0);
});
