/**
 * The materialized views (migrations/002_views.sql), refreshed CONCURRENTLY: readers keep
 * reading the old contents while the new ones are computed, which needs a unique index on each
 * view (checked at start). One instance refreshes a view at a time, under an advisory lock on
 * the connection it refreshes with: the others skip rather than queue. Each refresh is
 * recorded in `view_refreshes` (migrations/005), so a scheduled refresh that another instance
 * has just done is not done again.
 */
import type { Db } from './pool.js';
import type { ViewName } from '../invalidation/events.js';

export const VIEWS: readonly ViewName[] = ['movie_stats', 'top_movies_by_genre', 'mv_matching_stats'];
/** The advisory lock class of view refreshes (with the view's hash as the key). */
const REFRESH_LOCK_CLASS = 7_310_552;

export interface RefreshOptions {
  /** Skip unless the last refresh, by any instance, is at least this old (a scheduled refresh). */
  dueAfterMs?: number;
  /** How long the refresh may wait for the view's lock (a long reader or ANALYZE holding it). */
  lockTimeoutMs: number;
  /** How long the refresh may run. */
  statementTimeoutMs: number;
}

export type RefreshOutcome =
  | { refreshed: true; record: ViewRefreshRecord }
  | { refreshed: false; reason: 'another instance is refreshing it' }
  /** `last`: the refresh that makes it not due, by whichever instance. */
  | { refreshed: false; reason: 'not due'; last: ViewRefreshRecord };

/** Refreshes `view`, unless another session is refreshing it or (with `dueAfterMs`) it is fresh enough. */
export async function refreshView(db: Db, view: ViewName, options: RefreshOptions): Promise<RefreshOutcome> {
  if (!VIEWS.includes(view)) throw new Error(`no materialized view ${view}; the views are ${VIEWS.join(', ')}`);
  const client = await db.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', [REFRESH_LOCK_CLASS, view]);
    if (!rows[0].locked) return { refreshed: false, reason: 'another instance is refreshing it' };
    try {
      if (options.dueAfterMs !== undefined) {
        const { rows: last } = await client.query<{ fresh: boolean; refreshed_at: Date; duration_ms: number }>(
          `SELECT refreshed_at > now() - make_interval(secs => $2::float8 / 1000) AS fresh, refreshed_at, duration_ms FROM view_refreshes WHERE view = $1`,
          [view, options.dueAfterMs],
        );
        if (last[0]?.fresh) return { refreshed: false, reason: 'not due', last: { view, refreshedAt: last[0].refreshed_at, durationMs: last[0].duration_ms } };
      }
      await client.query(`SET lock_timeout = ${Math.round(options.lockTimeoutMs)}`);
      await client.query(`SET statement_timeout = ${Math.round(options.statementTimeoutMs)}`);
      const started = performance.now();
      try {
        await client.query(`REFRESH MATERIALIZED VIEW CONCURRENTLY ${view}`);
      } finally {
        await client.query('RESET lock_timeout; RESET statement_timeout');
      }
      const durationMs = Math.round(performance.now() - started);
      const { rows: recorded } = await client.query<{ refreshed_at: Date }>(
        `INSERT INTO view_refreshes (view, refreshed_at, duration_ms) VALUES ($1, now(), $2)
         ON CONFLICT (view) DO UPDATE SET refreshed_at = EXCLUDED.refreshed_at, duration_ms = EXCLUDED.duration_ms
         RETURNING refreshed_at`,
        [view, durationMs],
      );
      return { refreshed: true, record: { view, refreshedAt: recorded[0].refreshed_at, durationMs } };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [REFRESH_LOCK_CLASS, view]);
    }
  } finally {
    client.release();
  }
}

export interface ViewRefreshRecord {
  view: ViewName;
  refreshedAt: Date;
  durationMs: number;
}

/** The last refresh of each view that has been refreshed since the database was made. */
export async function lastRefreshes(db: Db): Promise<ViewRefreshRecord[]> {
  const { rows } = await db.query<{ view: ViewName; refreshed_at: Date; duration_ms: number }>('SELECT view, refreshed_at, duration_ms FROM view_refreshes ORDER BY view');
  return rows.map((r) => ({ view: r.view, refreshedAt: r.refreshed_at, durationMs: r.duration_ms }));
}

/**
 * Throws, naming the view and what to do, unless every view exists and has a unique index on
 * plain columns over all its rows: REFRESH … CONCURRENTLY refuses a view without one, which
 * would otherwise surface only at the first refresh, minutes after start.
 */
export async function assertViewsRefreshable(db: Db): Promise<void> {
  const { rows } = await db.query<{ view: string; indexed: boolean }>(
    `SELECT v.view, EXISTS (
       SELECT 1 FROM pg_class c JOIN pg_index i ON i.indrelid = c.oid
       WHERE c.relname = v.view AND c.relkind = 'm' AND i.indisunique AND i.indisvalid
         AND i.indpred IS NULL AND NOT (0 = ANY (i.indkey::int2[]))
     ) AS indexed
     FROM unnest($1::text[]) AS v(view)`,
    [VIEWS],
  );
  const missing = rows.filter((r) => !r.indexed).map((r) => r.view);
  if (missing.length > 0) {
    throw new Error(
      `materialized view ${missing.join(', ')} has no unique index on plain columns, which REFRESH MATERIALIZED VIEW CONCURRENTLY needs ` +
        `(or does not exist): create one as migrations/002_views.sql does (e.g. CREATE UNIQUE INDEX movie_stats_key ON movie_stats (movie_id)), or run the migrations, and start again`,
    );
  }
}
