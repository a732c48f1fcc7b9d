/**
 * Where the gateway's Redis connections go (L2, the bus, the bus watcher thread). Plain data,
 * so the watcher thread receives it as it is.
 */
import { Redis, type RedisOptions } from 'ioredis';

export interface RedisTarget {
  /** `redis://` or `rediss://` (TLS), with the ACL user and password if any: `rediss://strata:…@host:6380`. */
  url: string;
  /** PEM bundle that verifies a `rediss://` server (a private CA); the system's CAs without it. */
  tlsCa?: string;
}

/** A connection to `target` with `options`; `rediss://` turns TLS on (ioredis), `tlsCa` verifies it. */
export function connectRedis(target: RedisTarget, options: RedisOptions): Redis {
  return new Redis(target.url, target.tlsCa ? { ...options, tls: { ca: target.tlsCa } } : options);
}
