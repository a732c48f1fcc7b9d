/**
 * Counts operations and errors into the metrics, and logs errors that were not the client's
 * fault; during a Postgres outage, one line per OUTAGE_LOG_WINDOW_MS with how many alike were
 * not logged (every failure is still counted in strata_graphql_errors_total).
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { Metrics } from '../../metrics.js';
import type { Context } from '../context.js';
import { logger } from '../../log.js';
import { codeOf } from '../../errors.js';

const log = logger('server');
/** While Postgres is unreachable, its failures are logged once per this window, with a count of the rest. */
const OUTAGE_LOG_WINDOW_MS = 5000;
/** Codes that mean the client sent something wrong: expected, not logged as failures. */
const CLIENT_CODES = new Set(['BAD_USER_INPUT', 'NOT_FOUND', 'UNAUTHENTICATED', 'GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND', 'OPERATION_RESOLUTION_FAILURE']);

/** `knownOperations`: the names that may appear as a label (the first-party contract's). */
export function observePlugin(metrics: Metrics, knownOperations: ReadonlySet<string>): ApolloServerPlugin<Context> {
  const outage = { loggedAt: -Infinity, unlogged: 0 };
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
            if (CLIENT_CODES.has(code)) continue;
            // An outage fails every request that needs Postgres: one line per window says so, not one per request.
            if (code === 'SERVICE_UNAVAILABLE') {
              const now = Date.now();
              if (now - outage.loggedAt < OUTAGE_LOG_WINDOW_MS) {
                outage.unlogged++;
                continue;
              }
              outage.loggedAt = now;
            }
            log.error('operation failed', {
              requestId: contextValue.requestId,
              operation: operationName ?? null,
              code,
              message: error.message,
              cause: error.originalError?.message,
              ...(code === 'SERVICE_UNAVAILABLE' && outage.unlogged > 0 ? { alikeNotLogged: outage.unlogged, windowMs: OUTAGE_LOG_WINDOW_MS } : {}),
            });
            if (code === 'SERVICE_UNAVAILABLE') outage.unlogged = 0;
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
