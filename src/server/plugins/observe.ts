/** Counts operations and errors into the metrics, and logs errors that were not the client's fault. */
import type { ApolloServerPlugin } from '@apollo/server';
import type { Metrics } from '../../metrics.js';
import type { Context } from '../context.js';
import { logger } from '../../log.js';
import { codeOf } from '../../errors.js';

const log = logger('server');
/** Codes that mean the client sent something wrong: expected, not logged as failures. */
const CLIENT_CODES = new Set(['BAD_USER_INPUT', 'NOT_FOUND', 'UNAUTHENTICATED', 'GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND', 'OPERATION_RESOLUTION_FAILURE']);

/** `knownOperations`: the names that may appear as a label (the first-party contract's). */
export function observePlugin(metrics: Metrics, knownOperations: ReadonlySet<string>): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      let failed = false;
      return {
        async didEncounterErrors({ errors, contextValue, operationName }) {
          failed = true;
          for (const error of errors) {
            const code = codeOf(error);
            metrics.errors.inc({ code });
            if (!CLIENT_CODES.has(code)) {
              log.error('operation failed', {
                requestId: contextValue.requestId,
                operation: operationName ?? null,
                code,
                message: error.message,
                cause: error.originalError?.message,
              });
            }
          }
        },
        async willSendResponse({ operation, operationName }) {
          const type = operation?.operation ?? 'unknown';
          metrics.requests.inc({ type, outcome: failed ? 'error' : 'ok' });
          const name = operationName && knownOperations.has(operationName) ? operationName : 'other';
          metrics.duration.observe({ type, operation: name }, Number(process.hrtime.bigint() - started) / 1e9);
        },
      };
    },
  };
}
