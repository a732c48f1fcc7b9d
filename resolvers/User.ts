import type { RecommendationStrategy, UserResolvers } from '../src/generated/resolverTypes.js';
import type { Context } from '../src/server/context.js';
import { checkRange } from '../src/errors.js';
import { required } from './load.js';

export const User: UserResolvers = {
  id: (user) => String(user.id),
  // PRIVATE: only the user themselves reads it, from the entry kept for them as the caller.
  email: async (user, _, ctx) =>
    ctx.caller.kind === 'user' && ctx.caller.userId === user.id ? ((await ctx.loaders.privateUser.load(user.id))?.email ?? null) : null,
  isPowerUser: (user) => user.is_power_user,
  profile: async (user, _, ctx) => required(await ctx.loaders.userProfile.load(user.id), 'UserProfile', user.id),
  recommendations: async (user, { n, strategy }, ctx) => (await recommendationsOf(ctx, user.id, n, strategy)) ?? [],
};

/** The user's recommendations (n: 1-100); undefined when there is no such user. */
export async function recommendationsOf(ctx: Context, userId: number, n: number, strategy: RecommendationStrategy) {
  return (await ctx.loaders.recommendations.load({ userId, n: checkRange(n, 'n', 1, 100), strategy }))?.items;
}
