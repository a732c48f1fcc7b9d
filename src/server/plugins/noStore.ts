/**
 * Says `Cache-Control: no-store` where the cache policy plugin says nothing: mutations, and
 * responses whose policy is not cacheable (maxAge 0 or errors). Without it a CDN or browser
 * would fall back on its own heuristics.
 */
import type { ApolloServerPlugin } from '@apollo/server';

export function noStorePlugin<T extends object>(): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, operation }) {
          const headers = response.http.headers;
          const write = operation?.operation === 'mutation' || operation?.operation === 'subscription';
          if (write || !headers.has('cache-control')) headers.set('cache-control', 'no-store');
        },
      };
    },
  };
}
