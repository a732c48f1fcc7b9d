/**
 * `x-cache-debug: 1` on a request adds `extensions.cache` to its response: what that request
 * cost at each level — L1 and L2 hits, misses that reached the source, entries served
 * stale, Redis round trips and SQL statements. Any response that holds a stale entry says
 * so in `extensions.stale`, header or not: a client may want to know it saw degraded data.
 * Neither answer is for a shared cache: one describes its own request, the other would keep
 * stale data in a CDN for the full maxAge. Both are `no-store`.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { Context } from '../context.js';

/** What a request cost in the cache so far (also the debug log line's: requestLog.ts). */
export function cacheFigures(context: Context) {
  const { stats, l2 } = context.tiers;
  return {
    l1Hits: stats.l1Hits,
    l2Hits: stats.l2Hits,
    misses: stats.misses,
    stale: stats.stale,
    redisRoundTrips: l2?.roundTrips ?? 0,
    sqlStatements: context.requestScope.sqlStatements,
  };
}

export function cacheDebugPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ request }) {
      const debug = request.http?.headers.get('x-cache-debug') === '1';
      return {
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single') return;
          const { stats } = contextValue.tiers;
          if (stats.stale > 0) response.body.singleResult.extensions = { ...response.body.singleResult.extensions, stale: true };
          if (stats.stale > 0 || debug) response.http.headers.set('cache-control', 'no-store');
          if (!debug) return;
          response.body.singleResult.extensions = { ...response.body.singleResult.extensions, cache: cacheFigures(contextValue) };
        },
      };
    },
  };
}
