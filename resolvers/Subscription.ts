import type { SubscriptionResolvers } from '../src/generated/resolverTypes.js';

export const Subscription: SubscriptionResolvers = {
  cacheInvalidated: {
    subscribe: (_, { typenames, ids }, ctx) => ctx.services.feed.subscribe({ typenames, ids }),
  },
};
