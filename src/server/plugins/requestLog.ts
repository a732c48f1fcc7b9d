/**
 * At debug level (LOG_LEVEL=debug), one line per operation: its request id (the x-request-id of
 * the response), the operation's name, how long it took, whether it failed, and what it cost
 * in the cache: hits per level, misses, stale entries, Redis round trips, SQL statements.
 * Nothing of the caller: no token, no variables.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { Context } from '../context.js';
import { logger } from '../../log.js';
import { cacheFigures } from './cacheDebug.js';

const log = logger('server.request');

/** Whether operations are logged now (LOG_LEVEL=debug): then each request counts its SQL statements too. */
export function requestLogged(): boolean {
  return log.enabled('debug');
}

export function requestLogPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      if (!requestLogged()) return;
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ contextValue, operationName, response }) {
          const errors = response.body.kind === 'single' ? (response.body.singleResult.errors?.length ?? 0) : 0;
          log.debug('operation', {
            requestId: contextValue.requestId,
            operation: operationName ?? null,
            ms: Number(process.hrtime.bigint() - started) / 1e6,
            errors,
            cache: cacheFigures(contextValue),
          });
        },
      };
    },
  };
}
