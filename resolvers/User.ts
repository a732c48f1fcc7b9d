import type { RecommendationStrategy, UserResolvers } from '../src/generated/resolverTypes.js';
import type { Context } from '../src/server/context.js';
import { checkRange } from '../src/errors.js';
import { required } from './load.js';

export const User: UserResolvers = {
  id: (user) => String(user.id),
  // PRIVATE: only the user themselves reads it.
  email: (user, _, ctx) => (ctx.caller.kind === 'user' && ctx.caller.userId === user.id ? user.email : null),
  isPowerUser: (user) => user.is_power_user,
  profile: async (user, _, ctx) => required(await ctx.loaders.userProfile.load(user.id), 'UserProfile', user.id),
  recommendations: (user, { n, strategy }, ctx) => recommendationsFor(ctx, user.id, n, strategy),
};

/** Recommendations for an existing user; n: 1-100. */
export function recommendationsFor(ctx: Context, userId: number, n: number, strategy: RecommendationStrategy) {
  return ctx.services.recommender.recommend(userId, checkRange(n, 'n', 1, 100), strategy, {
    movie: (id) => ctx.loaders.movie.load(id),
    profile: (id) => ctx.loaders.userProfile.load(id),
  });
}
