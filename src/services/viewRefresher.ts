/**
 * Refreshes the materialized views, in the background, two ways:
 *
 * - on schedule: each view on its own interval (`schedule`), checked every interval (at most
 *   every CHECK_MS) on every instance; the refresh happens once per interval across them all,
 *   on whichever instance finds it due first (db/views.ts records each refresh);
 * - on request (`request`, a rating milestone): requests that arrive while a view is being
 *   refreshed fold into one more refresh after it, and a view is refreshed on request at most
 *   once per `minIntervalMs` (milestones of many movies would otherwise refresh it back to
 *   back, and each refresh invalidates every entry built from the view).
 *
 * After a refresh, `refreshed` runs (the gateway invalidates what was built from the view and
 * announces it).
 */
import type { Db } from '../db/pool.js';
import { refreshView, type RefreshOptions, type ViewRefreshRecord } from '../db/views.js';
import type { ViewName } from '../invalidation/events.js';
import { logger } from '../log.js';

const log = logger('services.viewRefresher');

/** A scheduled view is checked at least this often: an interval changed elsewhere, or an instance that refreshed and died, is noticed. */
const CHECK_MS = 60_000;

interface ViewState {
  lastStartedAt: number;
  /** A refresh running or waiting for its turn. */
  pending: Promise<void> | null;
  /** Asked again while pending: one more refresh after it. */
  again: boolean;
}

export interface ViewRefresherOptions {
  /** A view refreshed on request at most this often. */
  minIntervalMs: number;
  /** How long a refresh may wait for its view's lock, and run. */
  timeouts: Omit<RefreshOptions, 'dueAfterMs'>;
}

export class ViewRefresher {
  private readonly views = new Map<ViewName, ViewState>();
  private readonly sleepers = new Set<() => void>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** The last refresh of each view this instance knows of: its own, or another's it found at a scheduled check. */
  private readonly known = new Map<ViewName, ViewRefreshRecord>();
  private stopped = false;

  constructor(
    private readonly db: Db,
    private readonly refreshed: (view: ViewName) => Promise<void>,
    private readonly options: ViewRefresherOptions,
  ) {}

  /** Asks for `view` to be refreshed soon; returns at once. */
  request(view: ViewName): void {
    let state = this.views.get(view);
    if (!state) this.views.set(view, (state = { lastStartedAt: -Infinity, pending: null, again: false }));
    if (state.pending) return void (state.again = true);
    state.pending = this.run(view, state);
  }

  /**
   * Refreshes each view of `intervals` once per its interval (ms; 0 leaves it to requests), on
   * whichever instance finds it due first. The first check comes one interval after start, at
   * most CHECK_MS: a fleet restarting does not refresh everything at once.
   */
  schedule(intervals: Partial<Record<ViewName, number>>): void {
    for (const [view, intervalMs] of Object.entries(intervals) as Array<[ViewName, number]>) {
      if (!(intervalMs > 0)) continue;
      const checkMs = Math.min(intervalMs, CHECK_MS);
      const check = async () => {
        if (this.stopped) return;
        await this.refresh(view, { ...this.options.timeouts, dueAfterMs: intervalMs });
        if (this.stopped) return;
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          void check();
        }, checkMs).unref();
        this.timers.add(timer);
      };
      const first = setTimeout(() => {
        this.timers.delete(first);
        void check();
      }, checkMs).unref();
      this.timers.add(first);
    }
  }

  /** Each view's last refresh as this instance knows it (for /metrics; /ready reads view_refreshes). */
  lastRefreshes(): ViewRefreshRecord[] {
    return [...this.known.values()];
  }

  /** Resolves when no requested refresh is running or waiting (tests; shutdown). */
  async idle(): Promise<void> {
    for (const state of this.views.values()) await state.pending;
  }

  /** Drops waiting refreshes and the schedule; one already running finishes. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    for (const wake of this.sleepers) wake();
    await this.idle();
  }

  /** Waits `ms`, or until stop(). */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  private async run(view: ViewName, state: ViewState): Promise<void> {
    do {
      state.again = false;
      const wait = state.lastStartedAt + this.options.minIntervalMs - Date.now();
      if (wait > 0) await this.sleep(wait);
      if (this.stopped) break;
      state.lastStartedAt = Date.now();
      await this.refresh(view, this.options.timeouts);
    } while (state.again && !this.stopped);
    state.pending = null;
  }

  /** One refresh, logged; a failure leaves the view as it was, for the next one. */
  private async refresh(view: ViewName, options: RefreshOptions): Promise<void> {
    try {
      const outcome = await refreshView(this.db, view, options);
      if (outcome.refreshed) {
        this.known.set(view, outcome.record);
        log.info('view refreshed', { view, ms: outcome.record.durationMs, scheduled: options.dueAfterMs !== undefined });
        await this.refreshed(view);
      } else {
        if (outcome.reason === 'not due') this.known.set(view, outcome.last);
        log.debug('view not refreshed here', { view, reason: outcome.reason });
      }
    } catch (err) {
      log.warn('could not refresh a view; it keeps its contents until the next refresh', { view, err });
    }
  }
}
