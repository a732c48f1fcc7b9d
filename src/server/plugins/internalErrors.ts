/**
 * An internal error's response carries the request id (as does every response, in
 * `x-request-id`), and the error's log line carries it too (observe.ts): a user quoting it
 * finds the cause. In production its message, which may hold SQL, table names or a driver's
 * internals, is replaced by one that says so; stack traces are off there anyway (apollo.ts).
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import type { Context } from '../context.js';

const INTERNAL = 'INTERNAL_SERVER_ERROR';

export function internalErrorsPlugin(mask: boolean): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single' || !response.body.singleResult.errors) return;
          const { requestId } = contextValue;
          response.body.singleResult.errors = response.body.singleResult.errors.map((error): GraphQLFormattedError => {
            if (error.extensions?.code !== INTERNAL) return error;
            if (!mask) return { ...error, extensions: { ...error.extensions, requestId } };
            return {
              message: `internal error; quote request id ${requestId} when reporting it`,
              ...(error.path ? { path: error.path } : {}),
              extensions: { code: INTERNAL, requestId },
            };
          });
        },
      };
    },
  };
}
