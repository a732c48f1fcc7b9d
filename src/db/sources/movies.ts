/** Movies and their rating statistics, read live from ratings so a new rating shows at once. */
import type { Db } from '../pool.js';
import type { MovieRow } from '../rows.js';
import { inOrder } from './inOrder.js';

/** One statement for any number of ids; rows come back in the order of `ids`, undefined where missing. */
export async function moviesByIds(db: Db, ids: readonly number[]): Promise<Array<MovieRow | undefined>> {
  const { rows } = await db.query<MovieRow>(moviesSql('m.id = ANY($1::int[])'), [ids]);
  return inOrder(ids, rows, (row) => row.id);
}

/**
 * The query moviesByIds runs, for the movies `which` (a condition on m) selects, over
 * `ratings`: the table, or a relation of its columns (rateMovie's: the ratings as its write
 * leaves them, so the movie it returns is the one a read after it would find).
 */
export function moviesSql(which: string, ratings = 'ratings'): string {
  return `SELECT m.id, m.title, m.year, m.genres, s.avg_rating, coalesce(s.rating_count, 0)::int AS rating_count
       FROM movies m
       LEFT JOIN LATERAL (
         SELECT avg(r.rating)::float8 AS avg_rating, count(*)::int AS rating_count
           FROM ${ratings} r WHERE r.movie_id = m.id
       ) s ON true
      WHERE ${which}`;
}

/** The distinct genres of the catalogue, sorted. */
export async function allGenres(db: Db): Promise<string[]> {
  const { rows } = await db.query<{ genre: string }>(
    'SELECT DISTINCT unnest(genres) AS genre FROM movies ORDER BY 1',
  );
  return rows.map((r) => r.genre);
}

/** The most rated movies, from the materialized view movie_stats (refreshed, not live). */
export async function popularMovieIds(db: Db, limit: number): Promise<Array<{ movieId: number; ratingCount: number }>> {
  const { rows } = await db.query<{ movie_id: number; rating_count: number }>(
    'SELECT movie_id, rating_count FROM movie_stats ORDER BY rating_count DESC, movie_id LIMIT $1',
    [limit],
  );
  return rows.map((r) => ({ movieId: r.movie_id, ratingCount: r.rating_count }));
}

/** The best-rated movies of each genre, from the materialized view top_movies_by_genre. */
export async function topMovieIdsByGenre(
  db: Db,
  genres: readonly string[],
  limit: number,
): Promise<Map<string, Array<{ movieId: number; avgRating: number }>>> {
  const { rows } = await db.query<{ genre: string; movie_id: number; avg_rating: number }>(
    `SELECT genre, movie_id, avg_rating FROM top_movies_by_genre
      WHERE genre = ANY($1::text[]) AND rank <= $2
      ORDER BY genre, rank, movie_id`,
    [genres, limit],
  );
  const byGenre = new Map<string, Array<{ movieId: number; avgRating: number }>>(genres.map((g) => [g, []]));
  for (const row of rows) byGenre.get(row.genre)!.push({ movieId: row.movie_id, avgRating: row.avg_rating });
  return byGenre;
}
