/**
 * Tells the HTTP layer that Apollo has parsed and validated a request's document and found
 * the operation to run (didResolveOperation comes only then): a persisted-query registration
 * is stored at that word (graphqlHttp.ts), so its text is validated once, by Apollo.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { Context } from '../context.js';

export function documentResolvedPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue }) {
          contextValue.documentResolved?.();
        },
      };
    },
  };
}
