/** GENRE: the best-rated movies of the user's favourite genres, taken in turn from each genre. */
import type { ScoredMovie, UserRating } from './types.js';

export interface GenreTopMovie {
  movieId: number;
  avgRating: number;
}

/**
 * Round-robin over `byGenre` (favourite genre first, each list best first), skipping movies
 * the user rated or already picked, until n are found.
 */
export function recommendByGenre(
  byGenre: ReadonlyArray<{ genre: string; movies: readonly GenreTopMovie[] }>,
  history: readonly UserRating[],
  n: number,
): ScoredMovie[] {
  const skip = new Set(history.map((r) => r.movieId));
  const cursors = byGenre.map(() => 0);
  const picked: ScoredMovie[] = [];
  let progressed = true;
  while (picked.length < n && progressed) {
    progressed = false;
    for (let g = 0; g < byGenre.length && picked.length < n; g++) {
      const { genre, movies } = byGenre[g];
      while (cursors[g] < movies.length) {
        const movie = movies[cursors[g]++];
        if (skip.has(movie.movieId)) continue;
        skip.add(movie.movieId);
        picked.push({ movieId: movie.movieId, score: movie.avgRating / 5, because: { kind: 'genre', genre, avgRating: movie.avgRating } });
        progressed = true;
        break;
      }
    }
  }
  return picked;
}
