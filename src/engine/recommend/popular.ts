/** POPULAR: the most rated movies the user has not rated yet. */
import type { ScoredMovie, UserRating } from './types.js';

export interface PopularMovie {
  movieId: number;
  ratingCount: number;
}

/** The first n of `popular` (most rated first) that the user has not rated. */
export function recommendPopular(popular: readonly PopularMovie[], history: readonly UserRating[], n: number): ScoredMovie[] {
  const rated = new Set(history.map((r) => r.movieId));
  const picked = popular.filter((m) => !rated.has(m.movieId)).slice(0, n);
  const top = picked[0]?.ratingCount || 1;
  return picked.map((m) => ({
    movieId: m.movieId,
    score: m.ratingCount / top,
    because: { kind: 'popular', ratingCount: m.ratingCount },
  }));
}
