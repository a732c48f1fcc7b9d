/** rateMovie: inserts the user's rating of a movie, or replaces their earlier one. One statement. */
import { AS_GATEWAY, type Db } from '../db/pool.js';
import type { MovieRow, RatingRow, UserProfileRow } from '../db/rows.js';
import { moviesSql } from '../db/sources/movies.js';
import { profilesSql, ratingsSql } from '../db/sources/users.js';
import type { UserRating } from '../engine/recommend/types.js';
import { BadUserInputError, NotFoundError } from '../errors.js';
import type { DomainEvent } from '../invalidation/events.js';

export interface RateMovieInput {
  userId: number;
  movieId: number;
  rating: number;
}

export interface RateMovieResult {
  result: RatingRow;
  events: DomainEvent[];
  /** The movie, the rater's profile and ratings as the write leaves them: what a read right after it would find. */
  after: { movie: MovieRow; profile: UserProfileRow; ratings: UserRating[] };
}

/**
 * Checks the rating, writes it; emits RatingCreated or RatingUpdated with the movie's new rating
 * count, and returns the movie, the rater's profile and ratings as they now are, so the write can store
 * them (TieredLoader.beforeWrite) instead of every reader after it loading them again.
 */
export async function rateMovie(db: Db, input: RateMovieInput): Promise<RateMovieResult> {
  const { userId, movieId, rating } = input;
  if (!Number.isFinite(rating) || rating < 0.5 || rating > 5 || !Number.isInteger(rating * 2)) {
    throw new BadUserInputError(`rating must be 0.5 to 5.0 in steps of 0.5; got ${rating}`, 'rating');
  }
  // One statement, so one round trip: the rating written only if both exist. Its other parts
  // read the statement's snapshot, from before the write; `after` is the ratings of the movie
  // and of the rater as the write leaves them: that snapshot less the row it replaced, plus
  // the row it wrote. The movie, the profile and the ratings are read from it by the queries
  // their loaders run (moviesSql, profilesSql, ratingsSql), so they are what those would read
  // after the write.
  const { rows } = await db.query<RatingRow & { user: number | null; movie: number | null; inserted: boolean | null; movie_after: MovieRow; profile_after: UserProfileRow; ratings_after: UserRating[] }>(
    `WITH ${AS_GATEWAY},
     target AS (SELECT (SELECT id FROM users WHERE id = $1) AS user_id, (SELECT id FROM movies WHERE id = $2) AS movie_id FROM writer),
     written AS (
       INSERT INTO ratings (user_id, movie_id, rating)
       SELECT user_id, movie_id, $3 FROM target WHERE user_id IS NOT NULL AND movie_id IS NOT NULL
       ON CONFLICT (user_id, movie_id) DO UPDATE SET rating = excluded.rating, rated_at = now()
       RETURNING user_id, movie_id, rating, rated_at, (xmax = 0) AS inserted
     ),
     after AS (
       SELECT user_id, movie_id, rating FROM ratings WHERE (movie_id = $2 OR user_id = $1) AND NOT (user_id = $1 AND movie_id = $2)
       UNION ALL SELECT user_id, movie_id, rating FROM written
     ),
     movie_after AS (${moviesSql('m.id = $2', 'after')}),
     profile_after AS (${profilesSql('SELECT $1::int AS user_id', 'after')}),
     ratings_after AS (${ratingsSql('SELECT $1::int AS user_id', 'after')})
     SELECT t.user_id AS user, t.movie_id AS movie, w.user_id, w.movie_id, w.rating, w.rated_at, w.inserted,
       (SELECT to_json(m) FROM movie_after m) AS movie_after, (SELECT to_json(p) FROM profile_after p) AS profile_after,
       (SELECT ratings FROM ratings_after) AS ratings_after
     FROM target t LEFT JOIN written w ON true`,
    [userId, movieId, rating],
  );
  const { user, movie, inserted, movie_after, profile_after, ratings_after, ...result } = rows[0];
  if (user === null) throw new NotFoundError('User', userId);
  if (movie === null) throw new NotFoundError('Movie', movieId);
  return {
    result,
    events: [{ type: inserted ? 'RatingCreated' : 'RatingUpdated', userId, movieId, movieRatingCount: movie_after.rating_count }],
    after: { movie: movie_after, profile: profile_after, ratings: ratings_after },
  };
}
