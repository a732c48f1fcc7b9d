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
import type { TagMarks } from './tagMarks.js';

/** Tags remembered per instance; one forgotten makes its entries miss (and reload), never serve stale. */
const MIRROR_LIMIT = 500_000;

export function newVersion(): string {
  return randomBytes(6).toString('base64url');
}

/** A new version for each of `tags`. */
export function freshVersions(tags: Iterable<string>): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const tag of new Set(tags)) versions[tag] = newVersion();
  return versions;
}

export class TagVersions {
  private readonly known = new LRUCache<string, string>({ max: MIRROR_LIMIT });
  /** When (on `clock`) each tag was last forgotten: a read of Redis begun before that is not learned. */
  private readonly forgottenAt = new LRUCache<string, number>({ max: MIRROR_LIMIT });
  private clock = 0;
  private clearedAt = 0;
  /** Counts every change to what `get` may answer (see `epoch`). */
  private changes = 0;
  /** While the bus is away, no version here is trusted (see `suspend`). */
  private suspended = false;
  /** Instances withholding writes Redis did not take, with when to stop waiting for them (see `withhold`). */
  private readonly withholders = new Map<string, number>();

  /** `marks`: tags another instance changed, marked by the bus watcher before this thread hears of it. */
  constructor(private readonly marks?: TagMarks) {}

  /**
   * The version this instance knows for `tag`, if any; none while the bus watcher has marked
   * it changed and this thread has not handled the message yet. (A read on every L1 hit: it
   * leaves recency alone.)
   */
  get(tag: string): string | undefined {
    if (this.suspended || (this.withholders.size > 0 && this.withheld()) || this.marks?.pending(tag)) return undefined;
    return this.known.peek(tag);
  }

  /**
   * The bus is away: another instance's write would not reach this mirror, so no version is
   * trusted (every L1 entry and stored answer misses, and reads go to Redis, which versions
   * them, or to Postgres) until `resume`, after the bus is back and this mirror cleared.
   */
  suspend(): void {
    this.suspended = true;
    this.changes++;
  }

  resume(): void {
    this.suspended = false;
    this.changes++;
  }

  /** False while the bus is away or just back (see `suspend`), or while some instance withholds writes (see `withhold`). */
  get trusted(): boolean {
    return !this.suspended && !this.withheld();
  }

  /**
   * Instance `from` (this one, or another as its heartbeat says) has writes Redis did not take,
   * and is sending them again: until they are in, Redis may hold (or a promoted replica come
   * back with) the versions they replaced, so no version is trusted, here or read from Redis.
   * For `forMs` at most: an instance that died meanwhile never says it is done.
   */
  withhold(from: string, forMs: number): void {
    if (!this.withholders.has(from)) this.changes++;
    this.withholders.set(from, Date.now() + forMs);
  }

  /**
   * `from` has delivered its writes (or given up). Once no instance withholds any, versions are
   * trusted again, from scratch: what this mirror learned meanwhile may be the old ones.
   */
  release(from: string): void {
    if (!this.withholders.delete(from) || this.withholders.size > 0) return;
    this.clear();
  }

  private withheld(): boolean {
    if (this.withholders.size === 0) return false;
    const now = Date.now();
    for (const [from, until] of this.withholders) if (until <= now) this.release(from);
    return this.withholders.size > 0;
  }

  /**
   * A number that moves whenever `get` may answer differently for some tag: a version learned,
   * adopted, bumped, settled, forgotten or cleared here, or a tag marked by the bus watcher. An
   * entry found current at one epoch is current for as long as the epoch stays the same, so a
   * reader may check its tags once per epoch instead of on every read.
   */
  epoch(): number {
    return this.changes + (this.marks?.total() ?? 0);
  }

  /** A point in this mirror's history: pass it to `learn` for versions read from Redis after it. */
  now(): number {
    return this.clock;
  }

  /**
   * A version read from Redis by a read begun at `readAt` (from `now()`), trusted over what
   * this instance knew — unless the tag was forgotten since the read began: another instance
   * changed it meanwhile, and the version the read saw may be the old one.
   */
  learn(tag: string, version: string, readAt: number): void {
    if (readAt < this.clearedAt || (this.forgottenAt.peek(tag) ?? -1) > readAt) return;
    if (this.known.peek(tag) !== version) this.changes++;
    this.known.set(tag, version);
  }

  /**
   * The version a load of a never-versioned `tag` records: the one known here, else a new one.
   * With Redis, only until Redis gives the tag a first version of its own (tieredLoader.ts,
   * reserveFirstVersions), or for good when Redis does not answer.
   */
  adopt(tag: string): string {
    let version = this.known.get(tag);
    if (version === undefined) {
      this.changes++;
      this.known.set(tag, (version = newVersion()));
    }
    return version;
  }

  /**
   * A write changed what `tags` name: each gets a new version, returned for Redis and the
   * other instances. Versions read from Redis by reads begun before now are not learned.
   */
  bump(tags: readonly string[]): Record<string, string> {
    const bumped = freshVersions(tags);
    this.settle(bumped, this.clock);
    return bumped;
  }

  /**
   * `versions` are what Redis holds now (this instance set them after `since`, from `now()`):
   * trusted over any read begun before. A read begun between a bump and Redis taking it saw
   * the old version; once Redis has the new one, that read must not leave the old one here.
   * A tag another instance changed after `since` (the bus) is left forgotten: Redis may
   * hold that instance's version, not this one.
   */
  settle(versions: Record<string, string>, since: number): void {
    this.clock++;
    this.changes++;
    for (const [tag, version] of Object.entries(versions)) {
      if ((this.forgottenAt.peek(tag) ?? -1) > since) continue;
      this.known.set(tag, version);
      this.forgottenAt.set(tag, this.clock);
    }
  }

  /**
   * Another instance changed what `tags` name (the bus said so): entries recording them miss
   * in L1 until their current version is read from Redis again. Order-free: whichever of
   * several such messages comes last, Redis has the version that counts.
   */
  forget(tags: readonly string[]): void {
    this.clock++;
    this.changes++;
    for (const tag of tags) {
      this.known.delete(tag);
      this.forgottenAt.set(tag, this.clock);
    }
  }

  /** Forgets every version: every entry in L1 misses until its tags are read again. */
  clear(): void {
    this.clearedAt = ++this.clock;
    this.changes++;
    this.known.clear();
  }
}
