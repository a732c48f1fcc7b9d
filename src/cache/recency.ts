/**
 * Reads from an lru-cache that renew an entry's recency at most once a second. lru-cache
 * relinks its list on every get(), which costs more than the lookup itself on a warm path;
 * for choosing what to evict, "read within the last second" ranks entries as well as "read
 * just now".
 */
import type { LRUCache } from 'lru-cache';

const PROMOTE_EVERY_MS = 1000;

/** A cached value that remembers when its recency was last renewed. */
export interface Promotable {
  promotedAt: number;
}

/** The value of `key` (peeked), its recency renewed if that was last done a second or more before `now`. */
export function readRarelyPromoting<V extends Promotable>(lru: LRUCache<string, V, unknown>, key: string, now: number): V | undefined {
  const value = lru.peek(key);
  if (value && now - value.promotedAt >= PROMOTE_EVERY_MS) {
    value.promotedAt = now;
    lru.get(key);
  }
  return value;
}
