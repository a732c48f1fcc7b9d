/**
 * The Apollo Server of the gateway. Plugins are listed in pipeline order: cache policy first
 * (each answer's Cache-Control, from its operation), the no-store fallback that reads it,
 * internal errors tied to their request id (masked in production), observation and
 * `x-cache-debug`, whether the response tier may keep the answer, the sandbox page, and the
 * drains that stop the server cleanly.
 */
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { codeOf } from '../errors.js';
import type { Server } from 'node:http';
import type { Config } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { Context } from './context.js';
import { noStorePlugin } from './plugins/noStore.js';
import { observePlugin } from './plugins/observe.js';
import { sandboxLandingPage } from './plugins/sandbox.js';
import { requestLogPlugin } from './plugins/requestLog.js';
import { cacheDebugPlugin } from './plugins/cacheDebug.js';
import { internalErrorsPlugin } from './plugins/internalErrors.js';
import { responseTracePlugin } from './plugins/responseTrace.js';
import { documentResolvedPlugin } from './plugins/documentResolved.js';
import { cachePolicyPlugin } from './plugins/cachePolicy.js';
import { OperationPolicies } from '../cache/operationPolicy.js';
import type { SchemaCachePolicy } from '../cache/policy.js';

export function createApollo(options: {
  schema: GraphQLSchema;
  /** The schema's @cacheControl hints, which give each answer its Cache-Control. */
  policy: SchemaCachePolicy;
  config: Config;
  metrics: Metrics;
  httpServer: Server;
  /** Stops the WebSocket server; called when Apollo drains. */
  stopSubscriptions: () => Promise<void>;
  /** Operation names allowed as metric labels. */
  knownOperations: ReadonlySet<string>;
}): ApolloServer<Context> {
  const { schema, policy, config, metrics, httpServer, stopSubscriptions, knownOperations } = options;
  return new ApolloServer<Context>({
    schema,
    // Stack traces only outside production; the request id in the response ties an error to its log line.
    includeStacktraceInErrorResponses: config.env !== 'production',
    introspection: config.limits.introspection,
    csrfPrevention: true,
    // Persisted queries are resolved before Apollo runs (persisted/), and hostile documents
    // refused (queryLimits.ts); the token bound stays here too, as a second line.
    persistedQueries: false,
    parseOptions: { maxTokens: config.limits.tokens },
    formatError: (formatted, error) =>
      error instanceof GraphQLError && codeOf(error) === 'SERVICE_UNAVAILABLE'
        ? {
            ...formatted,
            message: 'Postgres is unreachable and no cached answer could stand in; retry shortly',
            extensions: { ...formatted.extensions, code: 'SERVICE_UNAVAILABLE' },
          }
        : formatted,
    plugins: [
      // Apollo's own would hook every field resolution; the policy is computed per operation instead.
      ApolloServerPluginCacheControlDisabled(),
      cachePolicyPlugin(new OperationPolicies(schema, policy)),
      noStorePlugin(),
      internalErrorsPlugin(config.env === 'production'),
      observePlugin(metrics, knownOperations),
      cacheDebugPlugin(),
      requestLogPlugin(),
      responseTracePlugin(),
      documentResolvedPlugin(),
      sandboxLandingPage(),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      { async serverWillStart() { return { drainServer: stopSubscriptions }; } },
    ],
  });
}
