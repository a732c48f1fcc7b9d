/**
 * Where the gateway's Redis connections go (L2, the bus, the bus watcher thread), and how they
 * are opened: one Redis (`REDIS_URL`), or a Redis Cluster (`REDIS_CLUSTER_NODES`). The target is
 * plain data, so the watcher thread receives it as it is.
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';

export interface RedisTarget {
  /** One Redis: `redis://` or `rediss://` (TLS), with the ACL user and password if any: `rediss://strata:…@host:6380`. */
  url?: string;
  /**
   * A cluster: some of its nodes as `redis://[user:password@]host:port` (the rest are
   * discovered). The first one's user, password and scheme (TLS or not) go for every node.
   */
  clusterNodes?: string[];
  /** PEM bundle that verifies a `rediss://` server (a private CA); the system's CAs without it. */
  tlsCa?: string;
}

/** One Redis, or the cluster: both run the commands L2 sends, a cluster routing each by its key. */
export type RedisClient = Redis | Cluster;

/**
 * A connection to `target` with `options`. On a cluster, `options` go to the connection to
 * each node; L2 groups its commands into a pipeline per node itself (cache/l2RoundTrip.ts).
 */
export function connectRedis(target: RedisTarget, options: RedisOptions): RedisClient {
  if (target.clusterNodes) {
    const { seeds, credentials } = clusterSeeds(target);
    return new Cluster(seeds, {
      redisOptions: { ...options, ...credentials },
      enableOfflineQueue: options.enableOfflineQueue ?? true,
      // Replicas lag their master: reads go to masters, or an entry could outlive its invalidation.
      scaleReads: 'master',
      clusterRetryStrategy: (attempt) => Math.min(attempt * 200, 2000),
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      slotsRefreshTimeout: 1000,
    });
  }
  return new Redis(target.url!, tlsOptions(target, options));
}

/** The cluster's seed nodes, and the user, password and TLS every node is reached with. */
export function clusterSeeds(target: RedisTarget): { seeds: Array<{ host: string; port: number }>; credentials: RedisOptions } {
  const urls = target.clusterNodes!.map((node) => new URL(node));
  const first = urls[0];
  const credentials: RedisOptions = {
    username: first.username ? decodeURIComponent(first.username) : undefined,
    password: first.password ? decodeURIComponent(first.password) : undefined,
    tls: first.protocol === 'rediss:' ? (target.tlsCa ? { ca: target.tlsCa } : {}) : undefined,
  };
  return { seeds: urls.map((url) => ({ host: url.hostname, port: Number(url.port || 6379) })), credentials };
}

/** `rediss://` turns TLS on (ioredis), `tlsCa` verifies it. */
function tlsOptions(target: RedisTarget, options: RedisOptions): RedisOptions {
  return target.tlsCa ? { ...options, tls: { ca: target.tlsCa } } : options;
}
