/**
 * Subscriptions are served over WebSocket (graphql-ws, the graphql-transport-ws protocol) on
 * the same path. Sent over HTTP, one would run as a query and fail inside execution; it is
 * refused instead, before execution, with what to do.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';

export function subscriptionsOverWebSocketPlugin<T extends object>(): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation !== 'subscription') return;
          throw new GraphQLError('subscriptions are served over WebSocket at this URL (graphql-transport-ws protocol, e.g. the graphql-ws client), not over HTTP', {
            extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
          });
        },
      };
    },
  };
}
