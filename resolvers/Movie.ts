import type { MovieResolvers } from '../src/generated/resolverTypes.js';

export const Movie: MovieResolvers = {
  id: (movie) => String(movie.id),
  avgRating: (movie) => movie.avg_rating,
  ratingCount: (movie) => movie.rating_count,
};
