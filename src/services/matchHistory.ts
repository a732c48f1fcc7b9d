/**
 * Appends computed matches to the match history (what mv_matching_stats aggregates) in
 * batches: a flush every second or every FLUSH_AT matches, whichever comes first, so
 * serving a match never waits for the insert.
 */
import type { Db } from '../db/pool.js';
import { appendMatches } from '../db/sources/stats.js';
import type { MatchResult } from '../db/rows.js';
import { logger } from '../log.js';

const log = logger('services.matchHistory');
const FLUSH_AT = 500;
const FLUSH_EVERY_MS = 1000;
/** Past this many unwritten matches (Postgres down), the oldest are dropped, not kept forever. */
const MAX_PENDING = 50_000;

export class MatchHistory {
  private pending: MatchResult[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly db: Db) {}

  /** Queues matches for the history. */
  record(matches: readonly MatchResult[]): void {
    this.pending.push(...matches);
    if (this.pending.length > MAX_PENDING) {
      const dropped = this.pending.length - MAX_PENDING;
      this.pending.splice(0, dropped);
      log.warn('match history backlog full; dropped the oldest', { dropped });
    }
    if (this.pending.length >= FLUSH_AT) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_EVERY_MS).unref();
  }

  /** Writes what is queued; resolves once it is written (or failed and was logged). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    this.pending = [];
    this.flushing = this.flushing.then(async () => {
      if (batch.length === 0) return;
      try {
        await appendMatches(this.db, batch);
      } catch (err) {
        log.warn('could not append to the match history; the batch is lost', { matches: batch.length, err });
      }
    });
    return this.flushing;
  }
}
