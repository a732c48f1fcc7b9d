/**
 * One gateway instance, assembled: schema, services, Apollo, HTTP and WebSocket on one port.
 * `main.ts` starts it for `npm start`; tests start it in-process on a free port.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GraphQLSchema } from 'graphql';
import type { Config } from './config.js';
import type { Db } from './db/pool.js';
import { identifyCaller } from './auth/jwt.js';
import { loaderFactory } from './loaders/index.js';
import { InvalidationFeed } from './invalidation/feed.js';
import { InvalidationBus } from './invalidation/bus.js';
import { Invalidator } from './invalidation/invalidate.js';
import { OutboxListener } from './invalidation/pgListen.js';
import { ViewRefresher } from './services/viewRefresher.js';
import { CacheWarmer } from './services/cacheWarmer.js';
import { CacheDashboard } from './server/cacheDashboard.js';
import { assertViewsRefreshable, lastRefreshes } from './db/views.js';
import { Matcher } from './services/matcher.js';
import { MatchHistory } from './services/matchHistory.js';
import { Recommender } from './services/recommender.js';
import { createMetrics, type Metrics } from './metrics.js';
import { buildSchema, contractOperationNames, readTypeDefs } from './server/schema.js';
import { createCache, redisTarget, REDIS_START_WAIT_MS, type Cache, type CacheObserver } from './cache/index.js';
import { countStatements } from './db/requestScope.js';
import { createApollo } from './server/apollo.js';
import { answerUnparsable, createHttpHandler } from './server/http.js';
import { createGraphQLHandler } from './server/graphqlHttp.js';
import { PersistedQueries, PersistedQueryStore, TrustedDocuments } from './server/persisted/index.js';
import { QueryLimits } from './server/queryLimits.js';
import { startSubscriptionServer } from './server/subscriptions.js';
import type { Context, ContextRequest, Services } from './server/context.js';
import { ResponseTier } from './server/responseTier.js';
import { ListsByIds } from './server/listByIds.js';
import { EntityPieces } from './server/entityPieces.js';
import { logger } from './log.js';

const log = logger('gateway');

export interface Gateway {
  /** http://host:port/graphql */
  url: string;
  port: number;
  services: Services;
  httpServer: Server;
  /** Warms the cache in the background (CACHE_WARM), when on. */
  warmer: CacheWarmer | undefined;
  /** Stops accepting, drains requests and subscriptions, flushes the match history. Leaves the pool open. */
  stop(): Promise<void>;
}

/** What serves requests, whatever speaks HTTP in front of it: the tiers, the invalidation path, the services. */
export interface Instance {
  cache: Cache;
  bus: InvalidationBus | undefined;
  metrics: Metrics;
  services: Services;
  /** Builds the context of one request. */
  contextFor(request: ContextRequest): Promise<Context>;
  /** Hears each time L1 was cleared after a bus outage and is trusted again. */
  onCleared(listener: () => void): void;
  /** Stops the outbox reader and view refresher, flushes the match history, closes Redis. */
  close(): Promise<void>;
}

/**
 * The cache tiers, the invalidation path (bus, outbox, view refresher) and the services over
 * `db`, for `schema`. The gateway serves them; the benchmark's peers (bench/peers/) run the
 * same resolvers over them with CACHE=off behind other servers.
 */
export async function assembleInstance(config: Config, db: Db, schema: GraphQLSchema): Promise<Instance> {
  // Before any connection is opened: a view that cannot be refreshed concurrently stops start-up.
  await assertViewsRefreshable(db);
  const cache = createCache(config, schema, readTypeDefs());
  await cache.ready();
  const feed = new InvalidationFeed();
  // The invalidation path: the bus and the view refresher call back into the invalidator.
  let invalidator: Invalidator | undefined;
  const bus =
    cache.l2 &&
    new InvalidationBus(
      redisTarget(config)!,
      {
        remote: (tags, entities) => invalidator!.remote(tags, entities),
        disconnected: () => invalidator!.disconnected(),
        resubscribed: () => invalidator!.resubscribed(),
        missed: () => invalidator!.missed(),
        withholding: (from, withholding) => invalidator!.withholding(from, withholding),
        distrusted: (lagMs) => metrics.busLagObserver(lagMs / 1000),
      },
      { marks: cache.marks, publisher: cache.l2, heartbeatMs: config.invalidation.busHeartbeatMs },
    );
  const views = new ViewRefresher(db, (view) => invalidator!.invalidate([{ type: 'ViewRefreshed', view }]), {
    minIntervalMs: config.invalidation.viewRefreshMinIntervalMs,
    timeouts: { lockTimeoutMs: config.views.lockTimeoutMs, statementTimeoutMs: config.views.statementTimeoutMs },
  });
  const metrics = createMetrics(db, cache, { bus, feed, views });
  const clearedListeners = new Set<() => void>();
  invalidator = new Invalidator({
    cache,
    feed,
    bus,
    refreshView: (view) => views.request(view),
    observe: metrics.invalidationObserver,
    cleared: () => clearedListeners.forEach((listener) => listener()),
  });
  if (bus && !(await bus.subscribed(REDIS_START_WAIT_MS))) {
    log.warn('the invalidation bus is not subscribed yet; L1 is cleared when it is', { waitedMs: REDIS_START_WAIT_MS });
  }
  const outbox = new OutboxListener(db, (events) => invalidator!.invalidate(events), {
    pollMs: config.invalidation.outboxPollMs,
    standbyRetryMs: config.invalidation.outboxPollMs,
  });
  await outbox.start();
  views.schedule(config.views.intervalsMs);
  const services: Services = {
    db,
    matcher: new Matcher(db),
    matchHistory: new MatchHistory(db),
    recommender: new Recommender(db),
    feed,
    invalidator,
    views,
    outbox,
    cache,
    jwtSecret: config.auth.jwtSecret,
  };
  countStatements(db, () => metrics.sqlStatements.inc());
  const loadersFor = loaderFactory(db, cache, services);
  const contextFor = async (request: ContextRequest): Promise<Context> => {
    const tiers = cache.tiersFor(metrics.cacheObserver, request.trace);
    return {
      requestId: request.requestId,
      caller: request.caller ?? (await identifyCaller(request.authorization, services.jwtSecret)),
      loaders: loadersFor(tiers),
      tiers,
      requestScope: request.scope,
      services,
      documentResolved: request.documentResolved,
    };
  };
  return {
    cache,
    bus,
    metrics,
    services,
    contextFor,
    onCleared: (listener) => void clearedListeners.add(listener),
    async close() {
      await outbox.stop();
      await views.stop();
      await services.matchHistory.flush();
      await bus?.close();
      await cache.close();
    },
  };
}

/**
 * Builds and starts a gateway on `config.http` over `db`. `options.resolvers` replaces the
 * resolvers of resolvers/ (the benchmark's ceiling: the same server with constant answers).
 */
export async function startGateway(config: Config, db: Db, options: { resolvers?: object } = {}): Promise<Gateway> {
  const schema = buildSchema(options.resolvers);
  const instance = await assembleInstance(config, db, schema);
  const { cache, bus, metrics, services, contextFor } = instance;

  const httpServer = createServer();
  const cachePage = new CacheDashboard(metrics, services.feed, services.views);
  httpServer.on('clientError', answerUnparsable);
  const limits = new QueryLimits(schema, config.limits);
  const refused = (code: string) => metrics.errors.inc({ code });
  const subscriptions = startSubscriptionServer({ httpServer, schema, contextFor, limits, jwtSecret: services.jwtSecret, config, refused });
  const knownOperations = contractOperationNames();
  const apollo = createApollo({
    schema,
    policy: cache.policy,
    config,
    metrics,
    httpServer,
    knownOperations,
    stopSubscriptions: async () => {
      await subscriptions.dispose();
    },
  });
  await apollo.start();
  httpServer.on(
    'request',
    createHttpHandler({
      graphql: createGraphQLHandler({
        apollo,
        context: contextFor,
        persisted: new PersistedQueries(new PersistedQueryStore(config.persisted, cache.l2), TrustedDocuments.load(), config.persisted.only),
        limits,
        responses: cache.responses && responseTier(schema, cache, knownOperations, metrics.cacheObserver),
        sizes: config.limits,
        beforeOperation: bus && (() => bus.caughtUp()),
        refused: (error) => refused(error.code),
      }),
      metrics,
      cachePage,
      readiness: async () => {
        const started = Date.now();
        try {
          const refreshes = await lastRefreshes(db);
          const views = Object.fromEntries(refreshes.map((r) => [r.view, { refreshedAt: r.refreshedAt.toISOString(), durationMs: r.durationMs }]));
          return { ready: true, dependencies: { postgres: { state: 'up', latencyMs: Date.now() - started }, redis: redisState(cache) }, views };
        } catch (err) {
          return { ready: false, dependencies: { postgres: { state: 'down', error: (err as Error).message }, redis: redisState(cache) } };
        }
      },
    }),
  );
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.http.port, config.http.host, () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? 'localhost' : config.http.host;
  // Warming asks this server what clients ask most, over loopback, in the background.
  const warmer =
    config.cache.warm && cache.mode !== 'off'
      ? new CacheWarmer(db, `http://${host === 'localhost' ? '127.0.0.1' : host}:${port}/graphql`, { concurrency: config.cache.warmConcurrency })
      : undefined;
  if (warmer) {
    warmer.request('start');
    instance.onCleared(() => warmer.request('L1 cleared after an outage of the bus'));
  }
  return {
    url: `http://${host}:${port}/graphql`,
    port,
    services,
    httpServer,
    warmer,
    async stop() {
      cachePage.close();
      await warmer?.stop();
      await apollo.stop();
      await instance.close();
    },
  };
}

/** The response tier over `cache.responses`, with the shapes of lists and pieces read from the schema. */
function responseTier(schema: GraphQLSchema, cache: Cache, knownOperations: ReadonlySet<string>, observer: CacheObserver): ResponseTier {
  const pieces = new EntityPieces(schema, cache.policy);
  return new ResponseTier(cache.responses!, observer, knownOperations, new ListsByIds(schema, pieces), pieces);
}

/** Redis is not a readiness condition: without it the gateway serves from L1 and Postgres. */
function redisState(cache: Cache): { state: string } {
  if (!cache.l2) return { state: `not used (CACHE=${cache.mode})` };
  return { state: cache.l2.redis.status === 'ready' ? 'up' : `down (${cache.l2.redis.status}); serving from L1 and Postgres` };
}
