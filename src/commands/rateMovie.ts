/** rateMovie: inserts the user's rating of a movie, or replaces their earlier one. One statement. */
import { AS_GATEWAY, type Db } from '../db/pool.js';
import type { RatingRow } from '../db/rows.js';
import { BadUserInputError, NotFoundError } from '../errors.js';
import type { DomainEvent } from '../invalidation/events.js';

export interface RateMovieInput {
  userId: number;
  movieId: number;
  rating: number;
}

/** Checks the rating, writes it; emits RatingCreated or RatingUpdated with the movie's new rating count. */
export async function rateMovie(db: Db, input: RateMovieInput): Promise<{ result: RatingRow; events: DomainEvent[] }> {
  const { userId, movieId, rating } = input;
  if (!Number.isFinite(rating) || rating < 0.5 || rating > 5 || !Number.isInteger(rating * 2)) {
    throw new BadUserInputError(`rating must be 0.5 to 5.0 in steps of 0.5; got ${rating}`, 'rating');
  }
  // One statement, so one round trip: the rating written only if both exist, and the movie's
  // count read from the statement's snapshot (before the write) plus the row it inserted.
  const { rows } = await db.query<RatingRow & { user: number | null; movie: number | null; inserted: boolean | null; count: number }>(
    `WITH ${AS_GATEWAY},
     target AS (SELECT (SELECT id FROM users WHERE id = $1) AS user_id, (SELECT id FROM movies WHERE id = $2) AS movie_id FROM writer),
     written AS (
       INSERT INTO ratings (user_id, movie_id, rating)
       SELECT user_id, movie_id, $3 FROM target WHERE user_id IS NOT NULL AND movie_id IS NOT NULL
       ON CONFLICT (user_id, movie_id) DO UPDATE SET rating = excluded.rating, rated_at = now()
       RETURNING user_id, movie_id, rating, rated_at, (xmax = 0) AS inserted
     )
     SELECT t.user_id AS user, t.movie_id AS movie, w.user_id, w.movie_id, w.rating, w.rated_at, w.inserted,
       (SELECT count(*)::int FROM ratings WHERE movie_id = $2) + CASE WHEN w.inserted THEN 1 ELSE 0 END AS count
     FROM target t LEFT JOIN written w ON true`,
    [userId, movieId, rating],
  );
  const { user, movie, inserted, count, ...result } = rows[0];
  if (user === null) throw new NotFoundError('User', userId);
  if (movie === null) throw new NotFoundError('Movie', movieId);
  return { result, events: [{ type: inserted ? 'RatingCreated' : 'RatingUpdated', userId, movieId, movieRatingCount: count }] };
}