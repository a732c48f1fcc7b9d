/**
 * The cache of one gateway instance: the policy read from the schema, the key builders, the
 * shared L1, tag versions and (with Redis) L2. Each request gets its own TierSet: the shared
 * tiers plus its own L2 batcher and counters.
 */
import type { GraphQLSchema } from 'graphql';
import type { Config } from '../config.js';
import { createKeys, schemaVersion, type CacheKeys } from './keys.js';
import { L1 } from './l1.js';
import { L2, L2Batcher } from './l2.js';
import { SchemaCachePolicy } from './policy.js';
import { SingleFlight } from './singleFlight.js';
import { TagVersions } from './versions.js';
import { TagMarks } from './tagMarks.js';
import { AdaptiveTtl } from './adaptiveTtl.js';
import type { Level, TierSet } from './tieredLoader.js';
import { logger } from '../log.js';
import type { RedisTarget } from '../redis/connect.js';
import { ResponseCache, type ResponseTrace } from './responses.js';

const log = logger('cache');
/** How long start-up waits for Redis (L2, the bus) before serving from L1 and Postgres anyway. */
export const REDIS_START_WAIT_MS = 3000;

/** Where the tiers report what they do (the gateway's Prometheus metrics). */
export interface CacheObserver {
  lookup(outcome: 'hit' | 'miss' | 'stale', level: Level | 'response', type: string, count: number): void;
  duration(level: 'l2' | 'source', seconds: number): void;
}

/** What the cache serves; each must have a maxAge in the schema (checked at start). */
export const CACHED_COORDINATES = [
  'Movie', 'User', 'User.profile', 'Candidate', 'Job', 'Company', 'AlgorithmWeights', 'Query.me',
  'Query.travelTime', 'Query.popularMovies', 'Query.topMoviesByGenre', 'Query.matchingStats',
  'Query.recommendations', 'User.recommendations', 'Query.match', 'Query.topMatches', 'Query.topCandidates',
] as const;

export interface Cache {
  mode: Config['cache']['mode'];
  policy: SchemaCachePolicy;
  keys: CacheKeys;
  l1: L1 | undefined;
  l2: L2 | undefined;
  /** Undefined with CACHE=off. */
  versions: TagVersions | undefined;
  /** Whole answers of PUBLIC queries (responses.ts); undefined with CACHE=off or CACHE_RESPONSE_MB=0. */
  responses: ResponseCache | undefined;
  /** With Redis: where the bus watcher marks tags other instances changed (tagMarks.ts). */
  marks: TagMarks | undefined;
  /** Waits (boundedly) for Redis at start, so the first requests do not find L2 still connecting. */
  ready(): Promise<void>;
  /** The tiers for one request, reporting to `observer`, and what they serve to `trace` (the response tier). */
  tiersFor(observer: CacheObserver, trace?: ResponseTrace): TierSet;
  close(): Promise<void>;
}

export function createCache(config: Config, schema: GraphQLSchema, typeDefs: readonly string[]): Cache {
  const policy = new SchemaCachePolicy(schema);
  policy.assertCacheable(CACHED_COORDINATES);
  const { mode, graceMs, lockTtlMs } = config.cache;
  const on = mode !== 'off';
  const keys = createKeys(schemaVersion(typeDefs));
  const singleFlight = on ? new SingleFlight() : undefined;
  const redis = mode === 'l1+l2' ? redisTarget(config) : undefined;
  const marks = redis ? new TagMarks() : undefined;
  const versions = on ? new TagVersions(marks) : undefined;
  const adaptiveTtl = on ? new AdaptiveTtl() : undefined;
  const l1 = on ? new L1(config.cache.l1MaxBytes) : undefined;
  const l2 =
    redis
      ? new L2({
          target: redis,
          commandTimeoutMs: config.redis.commandTimeoutMs,
          breakerThreshold: config.cache.breakerThreshold,
          breakerOpenMs: config.cache.breakerOpenMs,
          // Adaptive TTLs double the longest hint; a version must outlive every entry recording it.
          versionTtlMs: 2 * policy.longestTtlMs() + graceMs,
        })
      : undefined;
  const responses = versions && config.cache.responseMaxBytes > 0 ? new ResponseCache(config.cache.responseMaxBytes, versions) : undefined;
  return {
    mode,
    responses,
    policy,
    keys,
    l1,
    l2,
    versions,
    marks,
    tiersFor: (observer, trace) => ({
      l1,
      // While the bus is away or just back, Redis's versions may lack a write whose
      // invalidation has not reached it yet (its writer still redelivering; after a restart,
      // Redis lost every version): an entry loaded before that write would look current
      // there, so L2 is left alone, as L1 is, until trust resumes (invalidate.ts).
      l2: l2 && versions?.trusted !== false ? new L2Batcher(l2, keys.tagVersion, (seconds) => observer.duration('l2', seconds)) : undefined,
      versions,
      singleFlight,
      adaptiveTtl,
      graceMs,
      lockTtlMs,
      lockKey: keys.lock,
      stats: { l1Hits: 0, l2Hits: 0, misses: 0, stale: 0 },
      trace,
      observe: (outcome, level, type, count) => count > 0 && observer.lookup(outcome, level, type, count),
      observeSource: (seconds) => observer.duration('source', seconds),
    }),
    ready: async () => {
      if (l2 && !(await l2.connected(REDIS_START_WAIT_MS))) {
        log.warn('Redis is not reachable yet; serving from L1 and Postgres until it is', { waitedMs: REDIS_START_WAIT_MS });
      }
    },
    close: async () => l2?.close(),
  };
}

/** Where Redis is, when the configuration names one. */
export function redisTarget(config: Config): RedisTarget | undefined {
  const { url, clusterNodes, tlsCa } = config.redis;
  if (clusterNodes) return { clusterNodes, tlsCa };
  return url ? { url, tlsCa } : undefined;
}
