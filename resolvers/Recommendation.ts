import type { RecommendationResolvers } from '../src/generated/resolverTypes.js';
import { required } from './load.js';

export const Recommendation: RecommendationResolvers = {
  movie: async (rec, _, ctx) => required(await ctx.loaders.movie.load(rec.movieId), 'Movie', rec.movieId),
};
