/** rateMovie: inserts the user's rating of a movie, or replaces their earlier one. One transaction. */
import { inTransaction, type Db } from '../db/pool.js';
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
  return inTransaction(db, async (client) => {
    const found = await client.query<{ user: number | null; movie: number | null }>(
      'SELECT (SELECT id FROM users WHERE id = $1) AS user, (SELECT id FROM movies WHERE id = $2) AS movie',
      [userId, movieId],
    );
    if (found.rows[0].user === null) throw new NotFoundError('User', userId);
    if (found.rows[0].movie === null) throw new NotFoundError('Movie', movieId);
    const written = await client.query<RatingRow & { inserted: boolean }>(
      `INSERT INTO ratings (user_id, movie_id, rating) VALUES ($1, $2, $3)
       ON CONFLICT (user_id, movie_id) DO UPDATE SET rating = excluded.rating, rated_at = now()
       RETURNING user_id, movie_id, rating, rated_at, (xmax = 0) AS inserted`,
      [userId, movieId, rating],
    );
    const { inserted, ...result } = written.rows[0];
    const count = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM ratings WHERE movie_id = $1', [movieId]);
    return {
      result,
      events: [{ type: inserted ? 'RatingCreated' : 'RatingUpdated', userId, movieId, movieRatingCount: count.rows[0].n }],
    };
  });
}
