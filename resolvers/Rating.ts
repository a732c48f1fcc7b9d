import type { RatingResolvers } from '../src/generated/resolverTypes.js';
import { required } from './load.js';

export const Rating: RatingResolvers = {
  at: (rating) => rating.rated_at,
  movie: async (rating, _, ctx) => required(await ctx.loaders.movie.load(rating.movie_id), 'Movie', rating.movie_id),
  user: async (rating, _, ctx) => required(await ctx.loaders.user.load(rating.user_id), 'User', rating.user_id),
};
