/**
 * Adaptive TTLs (seed 000): a key read often lately lives twice its hinted TTL, a key hardly
 * read for hours lives half of it; anything else, and any key this instance has not seen,
 * gets the hint itself. The counts are this instance's own, kept for a bounded number of keys.
 */
import { LRUCache } from 'lru-cache';
import { readRarelyPromoting, type Promotable } from './recency.js';

const HOUR_MS = 3_600_000;
/** Reads within the last hour above which a key is hot (seed 000: more than 100). */
const HOT_READS = 100;
/** Reads below which a key untouched for two hours is cold (seed 000: fewer than 10). */
const COLD_READS = 10;
const COLD_IDLE_MS = 2 * HOUR_MS;
const TRACKED_KEYS = 100_000;

interface Pattern extends Promotable {
  /** Reads since `since`; the window restarts after an hour. */
  reads: number;
  since: number;
  lastRead: number;
}

export class AdaptiveTtl {
  private readonly patterns = new LRUCache<string, Pattern>({ max: TRACKED_KEYS });

  constructor(private readonly now: () => number = Date.now) {}

  /** Records a read of `key` from the cache (at `now`, if the caller has the time at hand). */
  touch(key: string, now = this.now()): void {
    const pattern = readRarelyPromoting(this.patterns, key, now);
    if (!pattern || now - pattern.since > HOUR_MS) this.patterns.set(key, { reads: 1, since: now, lastRead: now, promotedAt: now });
    else {
      pattern.reads++;
      pattern.lastRead = now;
    }
  }

  /** The TTL to store `key` with, from its hint `baseMs`: x2 when hot, /2 when cold. */
  ttlFor(key: string, baseMs: number): number {
    const pattern = this.patterns.peek(key);
    if (!pattern) return baseMs;
    const idle = this.now() - pattern.lastRead;
    if (pattern.reads > HOT_READS && idle < HOUR_MS) return baseMs * 2;
    if (pattern.reads < COLD_READS && idle > COLD_IDLE_MS) return Math.round(baseMs / 2);
    return baseMs;
  }
}
