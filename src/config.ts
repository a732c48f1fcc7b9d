/**
 * The environment, read once into a typed Config. Nothing else reads process.env.
 * Every problem is listed together, so a bad deployment fails at start with one message.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The documented development secret: `me` works out of the box, and production refuses it. */
export const DEVELOPMENT_JWT_SECRET = 'strata-development-secret-do-not-deploy';

export interface Config {
  env: 'development' | 'production' | 'test';
  http: { host: string; port: number };
  /** `url` unset means an embedded Postgres in `embedded.dataDir`. */
  database: {
    url: string | undefined;
    embedded: { dataDir: string; port: number };
    poolMax: number;
    connectTimeoutMs: number;
    queryTimeoutMs: number;
  };
  /**
   * `url` may carry an ACL user and password (`redis://user:password@host:6379`); `rediss://`
   * speaks TLS, verified against the system's CAs or the PEM bundle `tlsCa`.
   */
  redis: {
    url: string | undefined;
    /** REDIS_CLUSTER_NODES as URLs (`redis://host:port`): some nodes of a Redis Cluster, which replaces REDIS_URL. */
    clusterNodes: string[] | undefined;
    commandTimeoutMs: number;
    tlsCa: string | undefined;
  };
  /**
   * `mode`: which tiers serve cached fields — off, l1, or l1+l2 (default: l1+l2 when
   * REDIS_URL is set, l1 otherwise). The L2 breaker opens after `breakerThreshold`
   * consecutive Redis failures and stays open `breakerOpenMs`. An entry past its TTL may
   * still be served for `graceMs` while one refresh runs (or while Postgres is down).
   * `lockTtlMs` bounds how long instances wait for another one computing the same key.
   */
  cache: {
    mode: 'off' | 'l1' | 'l1+l2';
    l1MaxBytes: number;
    /** The response tier's bound (whole answers of PUBLIC queries, in process); 0 turns it off. */
    responseMaxBytes: number;
    graceMs: number;
    lockTtlMs: number;
    breakerThreshold: number;
    breakerOpenMs: number;
    /** Warm the cache at start and after L1 was cleared (services/cacheWarmer.ts), `warmConcurrency` requests at a time. */
    warm: boolean;
    warmConcurrency: number;
  };
  /**
   * Writes that bypass the gateway are read back from the change outbox at once when their
   * NOTIFY arrives, and every `outboxPollMs` regardless (a missed notification, a new outbox
   * reader taking over): the bound on how long such a write may be served stale.
   * `viewRefreshMinIntervalMs`: a view refreshed on demand (rating milestones) at most this often.
   * `busHeartbeatMs`: how often the bus's subscription is PINGed and each instance's message
   * count published; three heartbeats without a PONG count as a lost connection.
   */
  invalidation: { outboxPollMs: number; viewRefreshMinIntervalMs: number; busHeartbeatMs: number };
  /**
   * The views' refresh schedule: each view every `intervalsMs[view]` (0: only on request), once
   * across every instance. A refresh waits for its view's lock at most `lockTimeoutMs` and runs
   * at most `statementTimeoutMs`.
   */
  views: {
    intervalsMs: { mv_matching_stats: number; top_movies_by_genre: number; movie_stats: number };
    lockTimeoutMs: number;
    statementTimeoutMs: number;
  };
  auth: { jwtSecret: string };
  /**
   * Automatic persisted queries: registered texts live `ttlMs`, at most `maxEntries` of them
   * (in Redis with L2, else in process). `only`: run nothing but the operations of the
   * trusted-documents manifest and those already registered (PERSISTED_ONLY).
   */
  persisted: { only: boolean; ttlMs: number; maxEntries: number };
  /** What one request may ask for, checked before validation and execution (server/queryLimits.ts). */
  limits: {
    depth: number;
    aliases: number;
    directives: number;
    tokens: number;
    cost: number;
    bodyBytes: number;
    variablesBytes: number;
    introspection: boolean;
  };
  /**
   * WebSockets (server/subscriptions.ts): `connection_init` must arrive within `initTimeoutMs`;
   * at most `operationsPerSocket` operations open on one socket.
   */
  subscriptions: { initTimeoutMs: number; operationsPerSocket: number };
  seed: { scale: number };
  log: { level: 'debug' | 'info' | 'warn' | 'error' | 'silent' };
}

type Env = Record<string, string | undefined>;

/** Reads `env` (default: process.env); throws ConfigError listing every problem found. */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}; got "${raw}"`);
      return fallback;
    }
    return value;
  };
  const number = (name: string, fallback: number, min: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= min) {
      problems.push(`${name} must be a number above ${min}; got "${raw}"`);
      return fallback;
    }
    return value;
  };

  const nodeEnv = env.NODE_ENV ?? 'development';
  if (!['development', 'production', 'test'].includes(nodeEnv)) {
    problems.push(`NODE_ENV must be development, production or test; got "${nodeEnv}"`);
  }
  const jwtSecret = env.JWT_SECRET || DEVELOPMENT_JWT_SECRET;
  if (nodeEnv === 'production' && jwtSecret === DEVELOPMENT_JWT_SECRET) {
    problems.push('JWT_SECRET must be set in production: the development default is public (see README)');
  }
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL must start with postgres:// or postgresql://');
  }
  const redisUrl = env.REDIS_URL || undefined;
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) problems.push('REDIS_URL must start with redis:// or rediss://');
  const clusterNodes = env.REDIS_CLUSTER_NODES ? parseClusterNodes(env.REDIS_CLUSTER_NODES, problems) : undefined;
  if (redisUrl && clusterNodes) problems.push('set REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a cluster), not both');
  const cacheMode = env.CACHE || (redisUrl || clusterNodes ? 'l1+l2' : 'l1');
  if (!['off', 'l1', 'l1+l2'].includes(cacheMode)) problems.push(`CACHE must be off, l1 or l1+l2; got "${cacheMode}"`);
  if (cacheMode === 'l1+l2' && !redisUrl && !clusterNodes) problems.push('CACHE=l1+l2 needs REDIS_URL or REDIS_CLUSTER_NODES');
  const flag = (name: string, fallback: boolean): boolean => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    problems.push(`${name} must be true or false; got "${raw}"`);
    return fallback;
  };
  let redisTlsCa: string | undefined;
  if (env.REDIS_TLS_CA_FILE) {
    try {
      redisTlsCa = readFileSync(env.REDIS_TLS_CA_FILE, 'utf8');
    } catch (err) {
      problems.push(`REDIS_TLS_CA_FILE cannot be read: ${(err as Error).message}`);
    }
    if (redisUrl && !redisUrl.startsWith('rediss://')) problems.push('REDIS_TLS_CA_FILE is set, but REDIS_URL is not rediss:// (TLS)');
    if (clusterNodes && !clusterNodes[0].startsWith('rediss://')) problems.push('REDIS_TLS_CA_FILE is set, but REDIS_CLUSTER_NODES does not start with a rediss:// (TLS) node');
  }
  const logLevel = env.LOG_LEVEL ?? (nodeEnv === 'test' ? 'warn' : 'info');
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(logLevel)) {
    problems.push(`LOG_LEVEL must be debug, info, warn, error or silent; got "${logLevel}"`);
  }

  const config: Config = {
    env: nodeEnv as Config['env'],
    http: { host: env.HOST || '0.0.0.0', port: int('PORT', 4000, 0, 65535) },
    database: {
      url: databaseUrl,
      embedded: {
        dataDir: path.resolve(projectRoot, env.EMBEDDED_PG_DIR || '.data/postgres'),
        port: int('EMBEDDED_PG_PORT', 54329, 1, 65535),
      },
      poolMax: int('PG_POOL_MAX', 10, 1, 1000),
      connectTimeoutMs: int('PG_CONNECT_TIMEOUT_MS', 5000, 1, 600_000),
      queryTimeoutMs: int('PG_QUERY_TIMEOUT_MS', 30_000, 1, 3_600_000),
    },
    redis: {
      url: redisUrl,
      clusterNodes,
      commandTimeoutMs: int('REDIS_COMMAND_TIMEOUT_MS', 50, 1, 60_000),
      tlsCa: redisTlsCa,
    },
    cache: {
      mode: cacheMode as Config['cache']['mode'],
      l1MaxBytes: int('CACHE_L1_MB', 64, 1, 65_536) * 1024 * 1024,
      responseMaxBytes: int('CACHE_RESPONSE_MB', 64, 0, 65_536) * 1024 * 1024,
      graceMs: int('CACHE_GRACE_S', 300, 0, 86_400) * 1000,
      lockTtlMs: int('CACHE_LOCK_TTL_MS', 2000, 10, 60_000),
      breakerThreshold: int('CACHE_L2_BREAKER_FAILURES', 5, 1, 1000),
      breakerOpenMs: int('CACHE_L2_BREAKER_OPEN_MS', 2000, 1, 600_000),
      warm: flag('CACHE_WARM', true),
      warmConcurrency: int('CACHE_WARM_CONCURRENCY', 4, 1, 64),
    },
    invalidation: {
      outboxPollMs: int('OUTBOX_POLL_MS', 1000, 10, 600_000),
      viewRefreshMinIntervalMs: int('VIEW_REFRESH_MIN_INTERVAL_S', 30, 0, 86_400) * 1000,
      busHeartbeatMs: int('BUS_HEARTBEAT_MS', 500, 10, 60_000),
    },
    views: {
      // The seeds: matching statistics every 15 minutes, top movies by genre hourly.
      intervalsMs: {
        mv_matching_stats: int('VIEW_REFRESH_MATCHING_STATS_S', 900, 0, 7 * 86_400) * 1000,
        top_movies_by_genre: int('VIEW_REFRESH_TOP_MOVIES_S', 3600, 0, 7 * 86_400) * 1000,
        movie_stats: int('VIEW_REFRESH_MOVIE_STATS_S', 900, 0, 7 * 86_400) * 1000,
      },
      lockTimeoutMs: int('VIEW_REFRESH_LOCK_TIMEOUT_MS', 5000, 1, 600_000),
      statementTimeoutMs: int('VIEW_REFRESH_STATEMENT_TIMEOUT_MS', 300_000, 1, 3_600_000),
    },
    auth: { jwtSecret },
    persisted: {
      only: flag('PERSISTED_ONLY', false),
      ttlMs: int('APQ_TTL_S', 86_400, 1, 365 * 86_400) * 1000,
      maxEntries: int('APQ_MAX_ENTRIES', 10_000, 1, 10_000_000),
    },
    limits: {
      depth: int('MAX_QUERY_DEPTH', 10, 1, 1000),
      aliases: int('MAX_QUERY_ALIASES', 30, 0, 100_000),
      directives: int('MAX_QUERY_DIRECTIVES', 20, 0, 100_000),
      tokens: int('MAX_QUERY_TOKENS', 20_000, 10, 10_000_000),
      cost: int('MAX_QUERY_COST', 5_000, 1, 1_000_000_000),
      bodyBytes: int('MAX_BODY_KB', 1024, 1, 1024 * 1024) * 1024,
      variablesBytes: int('MAX_VARIABLES_KB', 64, 1, 1024 * 1024) * 1024,
      introspection: flag('INTROSPECTION', nodeEnv !== 'production'),
    },
    subscriptions: {
      initTimeoutMs: int('WS_INIT_TIMEOUT_MS', 3000, 100, 600_000),
      operationsPerSocket: int('WS_MAX_OPERATIONS', 100, 1, 100_000),
    },
    seed: { scale: number('SEED_SCALE', 1, 0) },
    log: { level: logLevel as Config['log']['level'] },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** A bad environment: `problems` holds one line per variable to fix. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Strata cannot start; fix the environment:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * REDIS_CLUSTER_NODES: `host:port,host:port,…`, each node also accepted as a URL
 * (`rediss://user:password@host:port`); the first node's user, password and scheme go for all.
 */
function parseClusterNodes(raw: string, problems: string[]): string[] | undefined {
  const nodes: string[] = [];
  for (const item of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const url = /^rediss?:\/\//.test(item) ? item : `redis://${item}`;
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      // reported below
    }
    if (!parsed || !parsed.hostname || !/^\d+$/.test(parsed.port)) {
      problems.push(`REDIS_CLUSTER_NODES: "${item}" is not host:port (nor redis://host:port)`);
      continue;
    }
    nodes.push(url);
  }
  if (nodes.length === 0) problems.push('REDIS_CLUSTER_NODES names no node; give host:port,host:port,…');
  return nodes.length > 0 ? nodes : undefined;
}
