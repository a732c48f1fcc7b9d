/**
 * `x-cache-debug: 1` on a request adds `extensions.cache` to its response: what that request
 * cost at each level — L1 and L2 hits, misses that reached the source, Redis round trips
 * and SQL statements.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { Context } from '../context.js';

export function cacheDebugPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ request }) {
      if (request.http?.headers.get('x-cache-debug') !== '1') return;
      return {
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single') return;
          const { stats, l2 } = contextValue.tiers;
          response.body.singleResult.extensions = {
            ...response.body.singleResult.extensions,
            cache: {
              l1Hits: stats.l1Hits,
              l2Hits: stats.l2Hits,
              misses: stats.misses,
              redisRoundTrips: l2?.roundTrips ?? 0,
              sqlStatements: contextValue.requestScope.sqlStatements,
            },
          };
        },
      };
    },
  };
}
