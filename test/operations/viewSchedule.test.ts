/**
 * The views' refresh schedule, on two instances over one database and one Redis: a view due
 * every second is refreshed about once a second across both (never by both for one interval),
 * each refresh invalidates and is announced, and /ready and /metrics say when and how long. A
 * refresh that cannot get its view's lock gives up after VIEW_REFRESH_LOCK_TIMEOUT_MS and the
 * next one runs once the lock is free. A view without the unique index that CONCURRENTLY needs
 * stops start-up with a message that names it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, metricOf } from '../helpers/gateway.js';
import { startSharedInstances, type SharedInstances } from '../helpers/instances.js';
import { createTestDatabase } from '../helpers/testDb.js';

const SCHEDULE = { VIEW_REFRESH_MOVIE_STATS_S: '1', VIEW_REFRESH_LOCK_TIMEOUT_MS: '200' };
let shared: SharedInstances;
before(async () => {
  shared = await startSharedInstances(2, SCHEDULE);
});
after(async () => {
  await shared?.stop();
});

/** The `at` of every movie_stats ViewRefreshed announcement instance `i` hears during `ms`. */
async function refreshesHeard(i: number, ms: number): Promise<number[]> {
  const announcements = shared.instances[i].gateway.services.feed.subscribe({ typenames: ['MaterializedView'], ids: ['movie_stats'] });
  const heard: number[] = [];
  const until = Date.now() + ms;
  try {
    for (;;) {
      const left = until - Date.now();
      if (left <= 0) break;
      const next = await Promise.race([announcements.next(), new Promise<undefined>((r) => setTimeout(() => r(undefined), left))]);
      if (!next) break;
      assert.equal(next.value.cacheInvalidated.reason, 'ViewRefreshed');
      heard.push(new Date(next.value.cacheInvalidated.at).getTime());
    }
  } finally {
    await announcements.return!();
  }
  return heard;
}

test('a view due every second is refreshed about once a second across two instances, never twice in one interval; /ready and /metrics say when and how long', async () => {
  const heard = await refreshesHeard(0, 5500);
  const gaps = heard.slice(1).map((at, i) => at - heard[i]);
  console.log(`movie_stats refreshed ${heard.length} times in 5.5 s across two instances; gaps ${gaps.join(', ')} ms`);
  assert.ok(heard.length >= 2 && heard.length <= 6, `${heard.length} refreshes`);
  // The refresh's own time is in the gap: a second instance refreshing in the same interval would leave one far under it.
  for (const gap of gaps) assert.ok(gap >= 900, `two refreshes ${gap} ms apart`);

  const ready = await (await fetch(shared.instances[1].url.replace(/\/graphql$/, '/ready'))).json();
  const movieStats = ready.views.movie_stats;
  assert.ok(Date.now() - Date.parse(movieStats.refreshedAt) < 3000, JSON.stringify(ready.views));
  assert.equal(typeof movieStats.durationMs, 'number');
  const refreshedAt = await metricOf(shared.instances[0], 'strata_view_last_refresh_timestamp_seconds{view="movie_stats"}');
  assert.ok(Date.now() / 1000 - refreshedAt < 3, `metric says ${refreshedAt}`);
});

test('a refresh that cannot get its view\'s lock gives up after VIEW_REFRESH_LOCK_TIMEOUT_MS; the next runs once the lock is free', async () => {
  const holder = await shared.database.db.connect();
  try {
    await holder.query('BEGIN');
    // An ANALYZE in a transaction left open holds SHARE UPDATE EXCLUSIVE on the view until it
    // ends, as a long maintenance would: it conflicts with REFRESH … CONCURRENTLY.
    await holder.query('ANALYZE movie_stats');
    // A refresh that held the view before the ANALYZE (which waited for it) is announced just
    // after it: listened for from a moment later, no refresh can complete while the lock is held.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const whileLocked = await refreshesHeard(0, 2500);
    assert.deepEqual(whileLocked, [], 'no refresh while the lock is held');
    // A refresh may be waiting right now (one starts every second), never past its 200 ms.
    const { rows } = await shared.database.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'REFRESH MATERIALIZED VIEW%' AND state = 'active' AND now() - query_start > interval '1 second'`,
    );
    assert.equal(rows[0].n, 0, 'no refresh left waiting on the lock past its timeout');
  } finally {
    await holder.query('ROLLBACK');
    holder.release();
  }
  const afterRelease = await refreshesHeard(1, 3000);
  assert.ok(afterRelease.length >= 1, 'refreshed once the lock was free');
});

test('start-up refuses a view without the unique index CONCURRENTLY needs, naming it and the fix', async () => {
  const database = await createTestDatabase({ scale: 0.01 });
  try {
    await database.db.query('DROP INDEX movie_stats_key');
    await assert.rejects(startTestGateway({ database }), /materialized view movie_stats has no unique index[\s\S]*CREATE UNIQUE INDEX/);
  } finally {
    await database.drop();
  }
});
