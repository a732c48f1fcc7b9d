/** Users, their profiles (computed from their ratings) and their rating histories. */
import type { Db } from '../pool.js';
import type { UserProfileRow, UserRow } from '../rows.js';
import type { UserRating } from '../../engine/recommend/types.js';
import { inOrder } from './inOrder.js';

/** One statement for any number of ids, in the order of `ids`. */
export async function usersByIds(db: Db, ids: readonly number[]): Promise<Array<UserRow | undefined>> {
  const { rows } = await db.query<UserRow>(
    'SELECT id, name, email, is_power_user FROM users WHERE id = ANY($1::int[])',
    [ids],
  );
  return inOrder(ids, rows, (row) => row.id);
}

/**
 * Profiles for any number of users in one statement: rating count, average, and up to three
 * favourite genres (most ratings of 4 or more, then most ratings, then name).
 */
export async function userProfilesByIds(db: Db, ids: readonly number[]): Promise<UserProfileRow[]> {
  const { rows } = await db.query<UserProfileRow>(profilesSql('SELECT unnest($1::int[]) AS user_id'), [ids]);
  // Every wanted id has a row (LEFT JOINs from `wanted`).
  return inOrder(ids, rows, (row) => row.user_id) as UserProfileRow[];
}

/**
 * The query userProfilesByIds runs, for the users `wanted` selects (as user_id), over
 * `ratings`: the table, or a relation of its columns (rateMovie's: the ratings as its write
 * leaves them, so the profile it returns is the one a read after it would find).
 */
export function profilesSql(wanted: string, ratings = 'ratings'): string {
  return `WITH wanted AS (${wanted}),
          r AS (SELECT r.user_id, r.movie_id, r.rating FROM ${ratings} r JOIN wanted USING (user_id)),
          totals AS (SELECT user_id, count(*)::int AS rating_count, avg(rating)::float8 AS avg_rating FROM r GROUP BY user_id),
          per_genre AS (
            SELECT r.user_id, g.genre, count(*) FILTER (WHERE r.rating >= 4) AS liked, count(*) AS seen
              FROM r JOIN movies m ON m.id = r.movie_id CROSS JOIN LATERAL unnest(m.genres) AS g (genre)
             GROUP BY 1, 2),
          ranked AS (
            SELECT user_id, genre, row_number() OVER (PARTITION BY user_id ORDER BY liked DESC, seen DESC, genre) AS n
              FROM per_genre WHERE liked > 0),
          favourites AS (SELECT user_id, array_agg(genre ORDER BY n) AS genres FROM ranked WHERE n <= 3 GROUP BY user_id)
     SELECT w.user_id, coalesce(f.genres, '{}') AS favorite_genres,
            coalesce(t.rating_count, 0) AS rating_count, t.avg_rating
       FROM wanted w LEFT JOIN totals t USING (user_id) LEFT JOIN favourites f USING (user_id)`;
}

/** Every rating of each of `ids` (none for an unknown user), by movie: what recommendations exclude and build on. */
export async function ratingsOfUsers(db: Db, ids: readonly number[]): Promise<UserRating[][]> {
  const { rows } = await db.query<{ user_id: number; ratings: UserRating[] }>(ratingsSql('SELECT unnest($1::int[]) AS user_id'), [ids]);
  return inOrder(ids, rows, (row) => row.user_id).map((row) => row?.ratings ?? []);
}

/**
 * The query ratingsOfUsers runs, for the users `wanted` selects (as user_id), over `ratings`:
 * the table, or a relation of its columns (rateMovie's, as its write leaves them).
 */
export function ratingsSql(wanted: string, ratings = 'ratings'): string {
  return `WITH wanted AS (${wanted})
     SELECT w.user_id,
            coalesce(json_agg(json_build_object('movieId', r.movie_id, 'rating', r.rating) ORDER BY r.movie_id) FILTER (WHERE r.movie_id IS NOT NULL), '[]') AS ratings
       FROM wanted w LEFT JOIN ${ratings} r USING (user_id)
      GROUP BY w.user_id`;
}

/** Every rating, as columns, for the collaborative model (about 300,000 rows at scale 1). */
export async function allRatings(db: Db): Promise<{ userIds: Int32Array; movieIds: Int32Array; ratings: Float32Array }> {
  const { rows } = await db.query<{ u: number[]; m: number[]; r: number[] }>(
    'SELECT array_agg(user_id) AS u, array_agg(movie_id) AS m, array_agg(rating::float4) AS r FROM ratings',
  );
  const [{ u, m, r }] = rows;
  return { userIds: Int32Array.from(u ?? []), movieIds: Int32Array.from(m ?? []), ratings: Float32Array.from(r ?? []) };
}
