/**
 * L1: the in-process LRU, bounded in bytes (each entry costs its JSON length, twice for
 * UTF-16, plus its key) and never holding an entry past its TTL and grace. Whether an entry
 * is fresh, stale or invalidated is the caller's to judge (tieredLoader).
 */
import { LRUCache } from 'lru-cache';
import type { Entry } from './entry.js';
import { readRarelyPromoting, type Promotable } from './recency.js';

interface Slot extends Promotable {
  entry: Entry;
}

export class L1 {
  private readonly lru: LRUCache<string, Slot, unknown>;
  evictions = 0;

  constructor(maxBytes: number) {
    // Every set() passes the entry's size, so no sizeCalculation is needed.
    this.lru = new LRUCache<string, Slot, unknown>({
      maxSize: maxBytes,
      dispose: (_value, _key, reason) => {
        if (reason === 'evict') this.evictions++;
      },
    });
  }

  /** The entry of `key` if it is within its TTL and grace (fresh, stale or invalidated alike). */
  get<T>(key: string): Entry<T> | undefined {
    return readRarelyPromoting(this.lru, key, Date.now())?.entry as Entry<T> | undefined;
  }

  /** Stores `entry` until its staleUntil; `bytes` is its serialized size. */
  set(key: string, entry: Entry, bytes: number): void {
    const now = Date.now();
    const ttl = entry.staleUntil - now;
    if (ttl <= 0) return;
    this.lru.set(key, { entry, promotedAt: now }, { ttl, size: key.length * 2 + bytes * 2 });
  }


  clear(): void {
    this.lru.clear();
  }

  get bytes(): number {
    return this.lru.calculatedSize;
  }
}
