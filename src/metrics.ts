/**
 * Prometheus metrics of one gateway instance (own registry, so tests can run several).
 * Names follow seed 000: cache_hits_total{level,type}, cache_misses_total{level,type},
 * cache_operation_duration_seconds{level}, cache_memory_bytes{level}, cache_evictions_total.
 */
import client from 'prom-client';
import type { Db } from './db/pool.js';
import type { Cache, CacheObserver } from './cache/index.js';
import type { DomainEvent } from './invalidation/events.js';
import type { ViewRefreshRecord } from './db/views.js';
import type { RedisStats } from './cache/l2.js';

/** How often, at most, a scrape has Redis's INFO read again. */
const REDIS_INFO_EVERY_MS = 5000;

export interface Metrics {
  registry: client.Registry;
  requests: client.Counter<'type' | 'outcome'>;
  /** operation: a name of the first-party contract, or "other" (client-chosen names are unbounded). */
  duration: client.Histogram<'type' | 'operation'>;
  errors: client.Counter<'code'>;
  sqlStatements: client.Counter;
  cacheObserver: CacheObserver;
  /** Hears each invalidation: its events and how long it took (versions in Redis, bus, announcements). */
  invalidationObserver(events: readonly DomainEvent[], seconds: number): void;
  /** Hears each invalidation from another instance: from its start there to its versions forgotten here. */
  busLagObserver(seconds: number): void;
}

/** `parts`: the invalidation bus, when there is one (its subscriptions are counted), and the subscription feed. */
export function createMetrics(
  db: Db,
  cache: Cache,
  parts: {
    bus?: { subscriptions: number; gaps: number; silences: number };
    feed?: { subscriberCount: number; tooSlow: number };
    views?: { lastRefreshes(): ViewRefreshRecord[] };
  } = {},
): Metrics {
  const { bus, feed, views } = parts;
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'strata_process_' });
  const registers = [registry];
  const requests = new client.Counter({
    name: 'strata_graphql_requests_total',
    help: 'GraphQL operations, by type (query, mutation, subscription) and outcome (ok or error).',
    labelNames: ['type', 'outcome'] as const,
    registers,
  });
  const duration = new client.Histogram({
    name: 'strata_graphql_request_duration_seconds',
    help: 'Time from request to response, by operation type and contract operation name ("other" for the rest).',
    labelNames: ['type', 'operation'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5],
    registers,
  });
  const errors = new client.Counter({
    name: 'strata_graphql_errors_total',
    help: 'GraphQL errors sent to clients, by extensions.code.',
    labelNames: ['code'] as const,
    registers,
  });
  const sqlStatements = new client.Counter({ name: 'strata_sql_statements_total', help: 'SQL statements sent through the pool.', registers });
  // Lookups are counted in plain numbers on the request path (an L1 hit must cost next to
  // nothing, and prom-client hashes the label set on every inc) and handed over at scrape time.
  const lookups = new LookupTally();
  const lookupCounter = (outcome: Outcome, name: string, help: string) =>
    new client.Counter({
      name,
      help,
      labelNames: ['level', 'type'] as const,
      registers,
      collect() {
        for (const [level, type, count] of lookups.drain(outcome)) this.inc({ level, type }, count);
      },
    });
  lookupCounter('hit', 'cache_hits_total', 'Cache lookups answered, by level and GraphQL type.');
  lookupCounter('miss', 'cache_misses_total', 'Cache lookups not answered, by level and GraphQL type.');
  lookupCounter(
    'stale',
    'cache_stale_served_total',
    'Entries served past their TTL within the grace period (while a refresh runs, or Postgres is down), by level and type.',
  );
  const operationDuration = new client.Histogram({
    name: 'cache_operation_duration_seconds',
    help: 'Duration of a Redis round trip (level l2) or of a source batch on a miss (level source).',
    labelNames: ['level'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
    registers,
  });
  const invalidations = new client.Counter({
    name: 'strata_invalidations_total',
    help: 'Domain events invalidated by this instance (its own writes, and writes read back from the change outbox), by event type.',
    labelNames: ['reason'] as const,
    registers,
  });
  const invalidationDuration = new client.Histogram({
    name: 'strata_invalidation_duration_seconds',
    help: 'From a write\'s events to every instance told: versions set in Redis, the bus message published, local listeners fed.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
    registers,
  });
  if (feed) {
    new client.Gauge({
      name: 'strata_invalidation_subscribers',
      help: 'cacheInvalidated subscriptions open on this instance.',
      registers,
      collect() {
        this.set(feed.subscriberCount);
      },
    });
    new client.Gauge({
      name: 'strata_subscriptions_too_slow',
      help: 'cacheInvalidated subscriptions ended since start because their listener fell too far behind (SUBSCRIBER_TOO_SLOW).',
      registers,
      collect() {
        this.set(feed.tooSlow);
      },
    });
  }
  if (views) {
    new client.Gauge({
      name: 'strata_view_last_refresh_timestamp_seconds',
      help: 'When each materialized view was last refreshed, by any instance, as this one last learned (Unix seconds).',
      labelNames: ['view'],
      registers,
      collect() {
        for (const r of views.lastRefreshes()) this.set({ view: r.view }, r.refreshedAt.getTime() / 1000);
      },
    });
    new client.Gauge({
      name: 'strata_view_last_refresh_duration_seconds',
      help: 'How long the last refresh of each materialized view took.',
      labelNames: ['view'],
      registers,
      collect() {
        for (const r of views.lastRefreshes()) this.set({ view: r.view }, r.durationMs / 1000);
      },
    });
  }
  const l2 = cache.l2;
  if (l2) {
    new client.Gauge({
      name: 'strata_l2_breaker_open',
      help: 'Whether L2 (Redis) is being skipped now after consecutive failures (1), or used (0).',
      registers,
      collect() {
        this.set(l2.breakerOpen ? 1 : 0);
      },
    });
    new client.Gauge({
      name: 'strata_l2_breaker_openings',
      help: 'Times the L2 breaker opened since start.',
      registers,
      collect() {
        this.set(l2.breakerOpenings);
      },
    });
  }
  if (bus) {
    new client.Gauge({
      name: 'strata_bus_subscriptions',
      help: 'Times this instance subscribed to the invalidation bus: 1, plus one per reconnect (each clears L1).',
      registers,
      collect() {
        this.set(bus.subscriptions);
      },
    });
    new client.Gauge({
      name: 'strata_bus_losses',
      help: 'Invalidation messages found lost since start, each clearing L1: by a gap in a writer\'s sequence (gap), or a subscription gone silent (silent).',
      labelNames: ['kind'],
      registers,
      collect() {
        this.set({ kind: 'gap' }, bus.gaps);
        this.set({ kind: 'silent' }, bus.silences);
      },
    });
  }
  const busLag = new client.Histogram({
    name: 'strata_bus_lag_seconds',
    help: 'From a write\'s invalidation starting on another instance (right after its commit) to this instance no longer trusting what it changed in L1.',
    buckets: [0.00025, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.5],
    registers,
  });
  const redisRoundTrips = new client.Counter({ name: 'strata_redis_round_trips_total', help: 'Round trips to Redis for L2 reads and write-backs.', registers });
  // Redis's own figures (INFO; summed over a cluster's masters), read in the background at
  // most every REDIS_INFO_EVERY_MS: a scrape never waits on Redis, which may be the thing down.
  const redisMaxMemory = new client.Gauge({ name: 'strata_redis_maxmemory_bytes', help: 'Redis\'s maxmemory bound (0: none), summed over masters.', registers });
  const redisEvicted = new client.Gauge({ name: 'strata_redis_evicted_keys', help: 'Keys Redis evicted to stay under maxmemory, since it started (INFO evicted_keys), summed over masters.', registers });
  const redisUp = new client.Gauge({ name: 'strata_redis_up', help: 'Whether Redis (every master of a cluster) answered INFO when last asked: 1, or 0.', registers });
  const redisNodesFailing = new client.Gauge({ name: 'strata_redis_nodes_failing', help: 'Cluster nodes Redis flags as failing (fail or fail?); 0 on one Redis.', registers });
  let redisStats: RedisStats | undefined;
  let redisReadAt = -Infinity;
  const readRedisStats = () => {
    if (!cache.l2 || performance.now() - redisReadAt < REDIS_INFO_EVERY_MS) return;
    redisReadAt = performance.now();
    void cache.l2.stats().then((stats) => {
      redisUp.set(stats ? 1 : 0);
      if (stats) redisStats = stats;
    });
  };
  new client.Gauge({
    name: 'cache_memory_bytes',
    help: 'Memory held by a cache level (l1: the LRU\'s accounted size; l2: Redis\'s used_memory, summed over masters, as last read).',
    labelNames: ['level'] as const,
    registers,
    collect() {
      if (cache.l1) this.set({ level: 'l1' }, cache.l1.bytes);
      readRedisStats();
      if (!redisStats) return;
      this.set({ level: 'l2' }, redisStats.usedBytes);
      redisMaxMemory.set(redisStats.maxBytes);
      redisEvicted.set(redisStats.evictedKeys);
      redisNodesFailing.set(redisStats.nodesFailing);
    },
  });
  let evictionsSeen = 0;
  new client.Counter({
    name: 'cache_evictions_total',
    help: 'Entries L1 evicted to stay within its size bound.',
    registers,
    collect() {
      const now = cache.l1?.evictions ?? 0;
      if (now > evictionsSeen) this.inc(now - evictionsSeen);
      evictionsSeen = now;
    },
  });
  new client.Gauge({
    name: 'strata_pg_pool_connections',
    help: 'Postgres pool connections: total, idle, and requests waiting for one.',
    labelNames: ['state'] as const,
    registers,
    collect() {
      this.set({ state: 'total' }, db.totalCount);
      this.set({ state: 'idle' }, db.idleCount);
      this.set({ state: 'waiting' }, db.waitingCount);
    },
  });
  return {
    registry,
    requests,
    duration,
    errors,
    sqlStatements,
    busLagObserver: (seconds) => busLag.observe(seconds),
    invalidationObserver: (events, seconds) => {
      for (const event of events) invalidations.inc({ reason: event.type });
      invalidationDuration.observe(seconds);
    },
    cacheObserver: {
      lookup: (outcome, level, type, count) => lookups.add(outcome, level, type, count),
      duration: (level, seconds) => {
        operationDuration.observe({ level }, seconds);
        if (level === 'l2') redisRoundTrips.inc();
      },
    },
  };
}

type Outcome = 'hit' | 'miss' | 'stale';

/** Lookup counts by outcome, level and type since the last scrape. */
class LookupTally {
  private readonly counts: Record<Outcome, Map<string, Map<string, number>>> = { hit: new Map(), miss: new Map(), stale: new Map() };

  add(outcome: Outcome, level: string, type: string, count: number): void {
    const byLevel = this.counts[outcome];
    let byType = byLevel.get(level);
    if (!byType) byLevel.set(level, (byType = new Map()));
    byType.set(type, (byType.get(type) ?? 0) + count);
  }

  /** The counts of `outcome` gathered since the last drain, as [level, type, count]; resets them. */
  *drain(outcome: Outcome): Generator<[string, string, number]> {
    for (const [level, byType] of this.counts[outcome]) {
      for (const [type, count] of byType) if (count > 0) yield [level, type, count];
      byType.clear();
    }
  }
}
