import type { RatingResolvers } from '../src/generated/resolverTypes.js';
import { requiredNow } from './load.js';

export const Rating: RatingResolvers = {
  at: (rating) => rating.rated_at,
  movie: (rating, _, ctx) => requiredNow(ctx.loaders.movie.fetchReference(rating.movie_id), 'Movie', rating.movie_id),
  user: (rating, _, ctx) => requiredNow(ctx.loaders.user.fetch(rating.user_id), 'User', rating.user_id),
};
