/**
 * The materialized views (migrations/002_views.sql), refreshed CONCURRENTLY: readers keep
 * reading the old contents while the new ones are computed (each view has the unique index
 * that needs). One instance refreshes a view at a time: the others skip rather than queue.
 */
import type { Db } from './pool.js';
import type { ViewName } from '../invalidation/events.js';

export const VIEWS: readonly ViewName[] = ['movie_stats', 'top_movies_by_genre', 'mv_matching_stats'];
/** The advisory lock class of view refreshes (with the view's hash as the key). */
const REFRESH_LOCK_CLASS = 7_310_552;

/** Refreshes `view`; false when another session was refreshing it (its refresh will do). */
export async function refreshView(db: Db, view: ViewName): Promise<boolean> {
  if (!VIEWS.includes(view)) throw new Error(`no materialized view ${view}; the views are ${VIEWS.join(', ')}`);
  const client = await db.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', [REFRESH_LOCK_CLASS, view]);
    if (!rows[0].locked) return false;
    try {
      await client.query(`REFRESH MATERIALIZED VIEW CONCURRENTLY ${view}`);
      return true;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [REFRESH_LOCK_CLASS, view]);
    }
  } finally {
    client.release();
  }
}
