/**
 * A real gateway for a test: its own seeded database, started in-process on a free port,
 * with helpers to send GraphQL over HTTP. `stop()` shuts both down.
 */
import { loadConfig } from '../../src/config.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { signToken } from '../../src/auth/jwt.js';
import { createPool } from '../../src/db/pool.js';
import { createTestDatabase, type TestDatabase } from './testDb.js';
import { redisEnv } from './testRedis.js';

export const TEST_JWT_SECRET = 'test-secret-for-strata-tests';

export interface GraphQLResponse<T = any> {
  status: number;
  headers: Headers;
  body: {
    data?: T;
    errors?: Array<{ message: string; extensions?: { code?: string } & Record<string, unknown> }>;
    extensions?: Record<string, any>;
  };
}

export interface TestGateway {
  database: TestDatabase;
  gateway: Gateway;
  url: string;
  /** POSTs an operation; `userId` signs a bearer token for that user. */
  post<T = any>(query: string, variables?: Record<string, unknown>, options?: { userId?: number; operationName?: string; headers?: Record<string, string> }): Promise<GraphQLResponse<T>>;
  stop(): Promise<void>;
}

export interface TestGatewayOptions {
  /** Seed scale of a new database (default 0.05). */
  scale?: number;
  /** Another gateway's database, to run a second instance over the same data (not dropped by stop). */
  database?: TestDatabase;
  /** Reach Postgres at this port of 127.0.0.1 instead (a TcpProxy in front of it). */
  postgresPort?: number;
  /** Turns on L2 (CACHE=l1+l2): a TestRedis's url. */
  redisUrl?: string;
  /** Overrides any other setting. */
  env?: Record<string, string>;
}

/**
 * Settings every test gateway starts with (a test's own `env` overrides them): no warming and
 * views refreshed on request only, so no background work lands in the middle of a test that
 * counts statements, Redis commands or invalidations (test/operations/ tests both).
 */
export const TEST_GATEWAY_DEFAULTS: Record<string, string> = {
  CACHE_WARM: 'false',
  VIEW_REFRESH_MATCHING_STATS_S: '0',
  VIEW_REFRESH_TOP_MOVIES_S: '0',
  VIEW_REFRESH_MOVIE_STATS_S: '0',
};

/** Starts a gateway over a new database (or `database`), in-process on a free port. */
export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const owned = !options.database;
  const database = options.database ?? (await createTestDatabase({ scale: options.scale ?? 0.05 }));
  const config = loadConfig({
    ...TEST_GATEWAY_DEFAULTS,
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: database.url,
    JWT_SECRET: TEST_JWT_SECRET,
    ...(options.redisUrl ? redisEnv(options.redisUrl) : {}),
    ...options.env,
  });
  let db = database.db;
  if (options.database || options.postgresPort) {
    const url = new URL(database.url);
    if (options.postgresPort) url.port = String(options.postgresPort);
    db = createPool(url.toString(), config.database);
  }
  let gateway: Gateway;
  try {
    gateway = await startGateway(config, db);
  } catch (err) {
    if (db !== database.db) await db.end();
    if (owned) await database.drop();
    throw err;
  }
  return {
    database,
    gateway,
    url: gateway.url,
    async post(query, variables, opts = {}) {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers };
      if (opts.userId !== undefined) headers.authorization = `Bearer ${await signToken(opts.userId, TEST_JWT_SECRET)}`;
      const res = await fetch(gateway.url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables, operationName: opts.operationName }),
      });
      return { status: res.status, headers: res.headers, body: await res.json() };
    },
    async stop() {
      await gateway.stop();
      if (db !== database.db) await db.end();
      if (owned) await database.drop();
    },
  };
}

/** The data of a response that must have no errors; fails with the errors otherwise. */
export function dataOf<T>(response: GraphQLResponse<T>): T {
  if (response.body.errors?.length) {
    throw new Error(`expected no errors, got ${JSON.stringify(response.body.errors, null, 2)}`);
  }
  return response.body.data as T;
}

/** The extensions.code of each error of a response. */
export function codesOf(response: GraphQLResponse): string[] {
  return (response.body.errors ?? []).map((e) => String(e.extensions?.code));
}

/** The value of a line of `gw`'s /metrics (`name` with its labels, as printed), 0 when absent. */
export async function metricOf(gw: { url: string }, line: string): Promise<number> {
  const text = await (await fetch(gw.url.replace(/\/graphql$/, '/metrics'))).text();
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found ? Number(found.slice(line.length + 1)) : 0;
}
