import type { RecommendationResolvers } from '../src/generated/resolverTypes.js';
import { requiredNow } from './load.js';

export const Recommendation: RecommendationResolvers = {
  movie: (rec, _, ctx) => requiredNow(ctx.loaders.movie.fetch(rec.movieId), 'Movie', rec.movieId),
};
