/**
 * Seed 004's milestone rule: the 100th rating of a movie has the movie views refreshed (in the
 * background, CONCURRENTLY), and the refresh invalidates the popular lists built from them and
 * is announced as ViewRefreshed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, dataOf, type TestGateway } from '../helpers/gateway.js';
import { inTransaction } from '../../src/db/pool.js';
import { RATING_MILESTONE } from '../../src/invalidation/rules.js';

let gw: TestGateway;
before(async () => {
  gw = await startTestGateway({ env: { VIEW_REFRESH_MIN_INTERVAL_S: '0' } });
});
after(() => gw.stop());

const POPULAR = '{ popularMovies(limit: 10) { id } }';

test(`the ${RATING_MILESTONE}th rating of a movie refreshes the movie views, which invalidates the popular lists and is announced`, async () => {
  const db = gw.database.db;
  const before = dataOf(await gw.post(POPULAR)).popularMovies.map((m: { id: string }) => m.id);
  // A movie well outside the top ten, brought to one rating short of the milestone straight in
  // Postgres (as a seed load, which the cache is not told of), by users who had not rated it.
  const { rows: [movie] } = await db.query<{ id: number; n: number }>(
    `SELECT m.id, count(r.*)::int AS n FROM movies m LEFT JOIN ratings r ON r.movie_id = m.id
      GROUP BY m.id HAVING count(r.*) BETWEEN 5 AND 30 ORDER BY m.id LIMIT 1`,
  );
  assert.ok(!before.includes(String(movie.id)));
  const { rows: raters } = await db.query<{ id: number }>(
    'SELECT id FROM users WHERE id NOT IN (SELECT user_id FROM ratings WHERE movie_id = $1) ORDER BY id LIMIT $2',
    [movie.id, RATING_MILESTONE - movie.n],
  );
  assert.equal(raters.length, RATING_MILESTONE - movie.n, 'enough users who have not rated it');
  const last = raters.pop()!;
  await inTransaction(db, (client) =>
    client.query('INSERT INTO ratings (user_id, movie_id, rating) SELECT unnest($1::int[]), $2, 5', [raters.map((r) => r.id), movie.id]), 'seed');
  const cached = await gw.post(POPULAR, undefined, { headers: { 'x-cache-debug': '1' } });
  assert.equal(cached.body.extensions?.cache.sqlStatements, 0, 'the popular list is served from the cache');

  const announcements = gw.gateway.services.feed.subscribe({ typenames: ['MaterializedView'] });
  try {
    const { rateMovie } = dataOf(await gw.post('mutation ($u: ID!, $m: ID!) { rateMovie(userId: $u, movieId: $m, rating: 5) { movie { ratingCount } } }', {
      u: String(last.id),
      m: String(movie.id),
    }));
    assert.equal(rateMovie.movie.ratingCount, RATING_MILESTONE);
    const heard = new Set<string>();
    const deadline = Date.now() + 10_000;
    while (heard.size < 2) {
      const next = await Promise.race([announcements.next(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no ViewRefreshed within 10 s')), deadline - Date.now()))]);
      assert.equal(next.value.cacheInvalidated.reason, 'ViewRefreshed');
      heard.add(next.value.cacheInvalidated.id);
    }
    assert.deepEqual([...heard].sort(), ['movie_stats', 'top_movies_by_genre']);
  } finally {
    await announcements.return!();
  }
  const after = dataOf(await gw.post(POPULAR)).popularMovies.map((m: { id: string }) => m.id);
  assert.ok(after.includes(String(movie.id)), `movie ${movie.id}, now with ${RATING_MILESTONE} ratings, is among the popular ones`);
});
