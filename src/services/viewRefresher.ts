/**
 * Refreshes views on request, in the background: requests that arrive while a view is being
 * refreshed fold into one more refresh after it, and a view is refreshed at most once per
 * `minIntervalMs` (rating milestones of many movies would otherwise refresh it back to back,
 * and each refresh invalidates every entry built from the view). After a refresh, `refreshed`
 * runs (the gateway invalidates what was built from the view and announces it).
 *
 * Scheduled refreshes (every 15 minutes, hourly) are issue 8's; this is the on-demand part.
 */
import type { Db } from '../db/pool.js';
import { refreshView } from '../db/views.js';
import type { ViewName } from '../invalidation/events.js';
import { logger } from '../log.js';

const log = logger('services.viewRefresher');

interface ViewState {
  lastStartedAt: number;
  /** A refresh running or waiting for its turn. */
  pending: Promise<void> | null;
  /** Asked again while pending: one more refresh after it. */
  again: boolean;
}

export class ViewRefresher {
  private readonly views = new Map<ViewName, ViewState>();
  private readonly sleepers = new Set<() => void>();
  private stopped = false;

  constructor(
    private readonly db: Db,
    private readonly refreshed: (view: ViewName) => Promise<void>,
    private readonly minIntervalMs = 30_000,
  ) {}

  /** Asks for `view` to be refreshed soon; returns at once. */
  request(view: ViewName): void {
    let state = this.views.get(view);
    if (!state) this.views.set(view, (state = { lastStartedAt: -Infinity, pending: null, again: false }));
    if (state.pending) return void (state.again = true);
    state.pending = this.run(view, state);
  }

  /** Resolves when no refresh is running or waiting (tests; shutdown). */
  async idle(): Promise<void> {
    for (const state of this.views.values()) await state.pending;
  }

  /** Drops waiting refreshes; one already running finishes. */
  async stop(): Promise<void> {
    this.stopped = true;
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
      const wait = state.lastStartedAt + this.minIntervalMs - Date.now();
      if (wait > 0) await this.sleep(wait);
      if (this.stopped) break;
      state.lastStartedAt = Date.now();
      try {
        const started = Date.now();
        if (await refreshView(this.db, view)) {
          log.info('view refreshed', { view, ms: Date.now() - started });
          await this.refreshed(view);
        } else {
          log.debug('view is being refreshed by another instance; it will announce it', { view });
        }
      } catch (err) {
        log.warn('could not refresh a view; it keeps its contents until the next refresh', { view, err });
      }
    } while (state.again && !this.stopped);
    state.pending = null;
  }
}
