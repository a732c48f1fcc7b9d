/**
 * Tag versions: every entry records, for each tag it was built from (`Movie:42`, `Job:*`),
 * the version that tag had before the entry's load began. A write gives each tag it touched
 * a new version, so every entry built before it reads as invalid: invalidation costs one
 * write per tag, with no index of keys to walk, and a load that raced a write stores an
 * entry that is born invalid instead of a stale one.
 *
 * With Redis, the versions live there (shared by every instance) and this is the instance's
 * mirror of them; with L1 only, this is the whole truth. A version is a random token, not a
 * counter: a version Redis evicted reads as unknown (a miss) and is replaced by a new token,
 * so an old entry can never match again by a counter climbing back to its number.
 */
import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/** Tags remembered per instance; one forgotten makes its entries miss (and reload), never serve stale. */
const MIRROR_LIMIT = 500_000;

export function newVersion(): string {
  return randomBytes(6).toString('base64url');
}

export class TagVersions {
  private readonly known = new LRUCache<string, string>({ max: MIRROR_LIMIT });

  /** The version this instance knows for `tag`, if any. (A read on every L1 hit: it leaves recency alone.) */
  get(tag: string): string | undefined {
    return this.known.peek(tag);
  }

  /** A version read from Redis, which is trusted over what this instance knew. */
  learn(tag: string, version: string): void {
    this.known.set(tag, version);
  }

  /** The version a load of a never-versioned `tag` records: the one known here, else a new one. */
  adopt(tag: string): string {
    let version = this.known.get(tag);
    if (version === undefined) this.known.set(tag, (version = newVersion()));
    return version;
  }

  /** A write changed what `tags` name: each gets a new version, returned for Redis and the other instances. */
  bump(tags: readonly string[]): Record<string, string> {
    const bumped: Record<string, string> = {};
    for (const tag of new Set(tags)) this.known.set(tag, (bumped[tag] = newVersion()));
    return bumped;
  }

  /** Forgets every version: every entry in L1 misses until its tags are read again. */
  clear(): void {
    this.known.clear();
  }
}
