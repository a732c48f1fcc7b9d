import type { RecommendationStrategy, UserResolvers } from '../src/generated/resolverTypes.js';
import type { Context } from '../src/server/context.js';
import { checkRange } from '../src/errors.js';
import { requiredNow } from './load.js';
import { mapNow } from '../src/valueOrPromise.js';

export const User: UserResolvers = {
  id: (user) => String(user.id),
  // PRIVATE: only the user themselves reads it, from the entry kept for them as the caller.
  email: async (user, _, ctx) =>
    ctx.caller.kind === 'user' && ctx.caller.userId === user.id ? ((await ctx.loaders.privateUser.load(user.id))?.email ?? null) : null,
  isPowerUser: (user) => user.is_power_user,
  profile: (user, _, ctx) => requiredNow(ctx.loaders.userProfile.fetch(user.id), 'UserProfile', user.id),
  recommendations: (user, { n, strategy }, ctx) => mapNow(recommendationsOf(ctx, user.id, n, strategy), (items) => items ?? []),
};

/** The user's recommendations (n: 1-100); undefined when there is no such user. At once when cached. */
export function recommendationsOf(ctx: Context, userId: number, n: number, strategy: RecommendationStrategy) {
  return mapNow(ctx.loaders.recommendations.fetch({ userId, n: checkRange(n, 'n', 1, 100), strategy }), (list) => list?.items);
}
