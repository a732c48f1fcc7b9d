import type { RecommendationStrategy, UserResolvers } from '../src/generated/resolverTypes.js';
import type { Context } from '../src/server/context.js';
import type { UserRow } from '../src/db/rows.js';
import { checkRange } from '../src/errors.js';
import { required } from './load.js';

export const User: UserResolvers = {
  id: (user) => String(user.id),
  // PRIVATE: only the user themselves reads it, from the entry kept for them as the caller.
  email: async (user, _, ctx) =>
    ctx.caller.kind === 'user' && ctx.caller.userId === user.id ? ((await ctx.loaders.privateUser.load(user.id))?.email ?? null) : null,
  isPowerUser: (user) => user.is_power_user,
  profile: async (user, _, ctx) => required(await ctx.loaders.userProfile.load(user.id), 'UserProfile', user.id),
  recommendations: (user, { n, strategy }, ctx) => recommendationsFor(ctx, user, n, strategy),
};

/** Recommendations for an existing user; n: 1-100. */
export async function recommendationsFor(ctx: Context, user: UserRow, n: number, strategy: RecommendationStrategy) {
  const ask = { userId: user.id, n: checkRange(n, 'n', 1, 100), strategy, powerUser: user.is_power_user };
  return (await ctx.loaders.recommendations.load(ask)) ?? [];
}
