/**
 * What follows every write, before the mutation's response, in this order:
 *  1. each tag the events name (rules.ts) gets a new version in this instance's mirror: its
 *     L1 entries built from them read as invalid at once;
 *  2. the new versions are set in Redis, which every instance reads: L2 entries built from
 *     them are invalid for everyone, and so is an entry a load under way stores later (it
 *     records the versions its load began with);
 *  3. after them (in the same round trip on one Redis), the bus message tells every other
 *     instance (the write answers once Redis has written it to their sockets), which
 *     forgets those versions (its L1 misses until it reads them again) and announces the
 *     entities to its subscribers;
 *  4. this instance announces them to its own subscribers, and the request's loaders forget
 *     what they read, so later fields of the operation read anew.
 * The message goes after the versions, or an instance told by the bus could read the old
 * version from Redis and trust its old entries again.
 *
 * A write that bypassed the gateway takes the same path (pgListen.ts). Views an event makes
 * worth refreshing (a rating milestone) are refreshed in the background; the refresh comes
 * back here as ViewRefreshed.
 */
import type { Cache } from '../cache/index.js';
import type { Loaders } from '../loaders/index.js';
import type { Announcement, InvalidationBus } from './bus.js';
import { preciseNow } from './busMessage.js';
import { entitiesOf, type DomainEvent, type ViewName } from './events.js';
import type { InvalidationFeed } from './feed.js';
import { tagsOf, viewsToRefresh } from './rules.js';
import { freshVersions, type TagVersions } from '../cache/versions.js';
import type { VersionWrite } from '../cache/l2.js';
import type { WrittenValue } from '../cache/tieredLoader.js';
import { logger } from '../log.js';

const log = logger('invalidation');

/** How long, and how often, a failed invalidation is sent again, and how many may wait (redeliver). */
const REDELIVERY_MS = 30_000;
const REDELIVERY_INTERVAL_MS = 100;
const REDELIVERY_QUEUE = 10_000;
/** This instance among the withholders of TagVersions (the others go by their bus ids). */
const THIS_INSTANCE = 'this instance';
/**
 * After the bus is back, how long L1 stays untrusted: longer than the longest wait between
 * two reconnection attempts of any instance's Redis connections (2 s, cache/l2.ts), so writes
 * of instances that reconnect later have reached Redis.
 */
const RESUME_AFTER_MS = 3000;

export interface InvalidatorParts {
  cache: Cache;
  feed: InvalidationFeed;
  /** Undefined without Redis: one instance, nothing to tell. */
  bus: InvalidationBus | undefined;
  /** Asks for a view to be refreshed (in the background). */
  refreshView(view: ViewName): void;
  /** Hears every invalidation (metrics): the events and how long it took, in seconds. */
  observe?(events: readonly DomainEvent[], seconds: number): void;
  /** L1 was cleared after an outage of the bus and is trusted again: a time to warm it (services/cacheWarmer.ts). */
  cleared?(): void;
}

/** An invalidation Redis did not take, to send again (Invalidator.redeliver). */
interface Undelivered {
  message: Announcement | undefined;
  /** The tags that need new versions: fresh ones at each attempt, never those the write was given. */
  tags: string[];
  deadline: number;
}

/** The Redis keys of `versions` (tag → version), as L2.setVersions takes them, each with the version it should replace, if any. */
function versionKeys(cache: Cache, versions: Record<string, string>, expected: Record<string, string> = {}): VersionWrite[] {
  return Object.entries(versions).map(([tag, version]) => ({ key: cache.keys.tagVersion(tag), version, expected: expected[tag] }));
}

/**
 * Of the tags a write bumps, those its written values record, each with the version they were
 * read at before its statement, if this instance still knows it (no write here, nor one heard
 * of, came in between). A tag two values read at different versions is left out.
 */
function versionsToReplace(written: readonly WrittenValue[], bumping: readonly string[], versions: TagVersions | undefined): Record<string, string> {
  const expected: Record<string, string> = {};
  if (!versions) return expected;
  const conflicting = new Set<string>();
  for (const value of written) {
    for (const tag in value.before) {
      if (!bumping.includes(tag)) continue;
      if (expected[tag] !== undefined && expected[tag] !== value.before[tag]) conflicting.add(tag);
      expected[tag] = value.before[tag];
    }
  }
  for (const tag in expected) if (conflicting.has(tag) || versions.get(tag) !== expected[tag]) delete expected[tag];
  return expected;
}

/**
 * What a written value records: this write's versions for the tags it bumped, the versions
 * read before the statement for its other tags (a write to one of them since makes it invalid
 * at once, as any entry).
 */
function recordedBy(value: WrittenValue, bumped: Record<string, string>): Record<string, string> {
  const recorded: Record<string, string> = {};
  for (const tag in value.before) recorded[tag] = bumped[tag] ?? value.before[tag];
  return recorded;
}

/** Whether every tag of `value` this write bumped went from the version it was read at to this write's with nothing in between. */
function storable(value: WrittenValue, bumped: Record<string, string>, unchanged: ReadonlySet<string>): boolean {
  for (const tag in value.before) if (bumped[tag] !== undefined && !unchanged.has(tag)) return false;
  return true;
}

export class Invalidator {
  /** Times the bus dropped (disconnected). */
  private outages = 0;
  private readonly undelivered: Undelivered[] = [];
  private redelivering = false;

  constructor(private readonly parts: InvalidatorParts) {}

  /**
   * Makes everything `events` changed out of date on every instance, and announces it.
   * `loaders`: the writing request's, which forget what they read. Never throws: the write is
   * committed, and a Redis failure is logged and the delivery retried in the background
   * (instances whose bus was down meanwhile clear their L1 when it reconnects); when Redis
   * failed silently, it resolves only once every instance's heartbeat must have noticed.
   *
   * `written`: what the write's statement returned as it left it (TieredLoader.beforeWrite),
   * stored with the write's new versions when no other write came in between; else the next
   * read loads it, as after any write.
   */
  async invalidate(events: readonly DomainEvent[], loaders?: Loaders, written: readonly WrittenValue[] = []): Promise<void> {
    if (events.length === 0) return;
    const started = process.hrtime.bigint();
    const startedAt = preciseNow();
    const { cache, feed, bus } = this.parts;
    const tags = [...new Set(events.flatMap(tagsOf))];
    const at = new Date();
    const entities = events.flatMap((event) => entitiesOf(event, at));
    const expected = versionsToReplace(written, tags, cache.versions);
    const bumped = cache.versions?.bump(tags) ?? {};
    const bumpedAt = cache.versions?.now() ?? 0;
    let unchanged = new Set(Object.keys(expected));
    let decided!: (stored: ReadonlySet<WrittenValue>) => void;
    const deciding = new Promise<ReadonlySet<WrittenValue>>((resolve) => (decided = resolve));
    for (const value of written) value.meanwhile(recordedBy(value, bumped), deciding.then((stored) => stored.has(value)));
    if (cache.l2) {
      const message = bus?.message(tags, entities, startedAt);
      try {
        const replaced = await cache.l2.setVersions(versionKeys(cache, bumped, expected), message);
        unchanged = new Set([...unchanged].filter((tag) => replaced.has(cache.keys.tagVersion(tag))));
        cache.versions?.settle(bumped, bumpedAt);
      } catch (err) {
        // Nothing written is stored; the reads waiting for it load now (not after the waits below).
        unchanged = new Set();
        decided(new Set());
        log.warn('could not version the changed tags in Redis nor tell the other instances; retrying in the background', { tags, err });
        if (this.undelivered.length >= REDELIVERY_QUEUE) log.error('too many invalidations waiting for Redis; dropping the oldest', { tags: this.undelivered.shift()!.tags });
        this.undelivered.push({ message, tags, deadline: Date.now() + REDELIVERY_MS });
        void this.redeliver();
        // Until it is delivered, no instance may trust a version: Redis may still hold (or a
        // promoted replica come back with) the ones this write replaced. Every instance
        // listening hears so before this write answers, as it would the invalidation itself.
        cache.versions?.withhold(THIS_INSTANCE, REDELIVERY_MS);
        const told = (await bus?.setWithholding(true)) ?? false;
        if (!told && bus && !bus.isDown && cache.l2.ready) {
          // Redis took neither, yet both connections look up: Redis has gone silent (frozen,
          // paused, a network dropping everything), and the other instances trust their L1
          // until their heartbeats notice. The write answers once they must have, so no one
          // reads the old value after its acknowledgement. (A closed connection is seen by
          // every instance at once: no wait then. L2.ready says so as soon as the socket
          // stops writing, before ioredis's status does.)
          await new Promise((resolve) => setTimeout(resolve, bus.silenceBoundMs));
        }
      }
    }
    loaders?.forgetAll();
    const stored = new Set(written.filter((value) => storable(value, bumped, unchanged)));
    for (const value of stored) value.store(recordedBy(value, bumped));
    decided(stored);
    feed.announce(entities);
    for (const view of new Set(events.flatMap(viewsToRefresh))) this.parts.refreshView(view);
    this.parts.observe?.(events, Number(process.hrtime.bigint() - started) / 1e9);
  }

  /**
   * Sends again, in order and every REDELIVERY_INTERVAL_MS, the invalidations that failed
   * (this instance's Redis connection was down, or still reconnecting while the others were
   * back), each for up to REDELIVERY_MS: other instances whose bus is up trust their L1 and
   * must hear of the write. Late is safe: a version set late is a fresh one, which only makes
   * entries miss, and a message heard late only makes an instance forget versions. One loop
   * for all of them, and at most REDELIVERY_QUEUE waiting, so an outage under writes costs a
   * bounded amount.
   */
  private async redeliver(): Promise<void> {
    if (this.redelivering) return;
    this.redelivering = true;
    const l2 = this.parts.cache.l2!;
    const versions = this.parts.cache.versions;
    try {
      while (this.undelivered.length > 0) {
        // Unref'd: a gateway shutting down does not wait for Redis.
        await new Promise((resolve) => setTimeout(resolve, REDELIVERY_INTERVAL_MS).unref());
        while (this.undelivered.length > 0) {
          const next = this.undelivered[0];
          if (Date.now() > next.deadline) {
            log.error('gave up delivering an invalidation; other instances may serve what changed until their bus reconnects or its TTL ends', { tags: next.tags });
            this.undelivered.shift();
            continue;
          }
          // Fresh versions, not the ones the write was given: this instance's reads since the
          // write recorded those in entries they built (in L1, and in L2 before the failure
          // showed), and a later write of the same tags, here or on another instance, may
          // have reached Redis meanwhile. Set after it, the write's own versions would make
          // Redis vouch again for those entries, older than that later write; fresh ones only
          // make entries miss. (The chaos soak on a cluster found this: a version write timed
          // out in a failover, another instance's next write landed, then the redelivery.)
          const since = versions?.now() ?? 0;
          const renewed = freshVersions(next.tags);
          try {
            await l2.setVersions(versionKeys(this.parts.cache, renewed), next.message);
          } catch {
            break; // still down: the whole queue waits for the next round
          }
          versions?.settle(renewed, since);
          this.undelivered.shift();
          log.info('delivered an invalidation that had failed', { tags: next.tags });
        }
      }
    } finally {
      this.redelivering = false;
    }
    if (this.undelivered.length > 0) return;
    this.parts.cache.versions?.release(THIS_INSTANCE);
    void this.parts.bus?.setWithholding(false);
  }

  /** Another instance's heartbeat says whether it withholds writes Redis did not take (bus.ts). */
  withholding(from: string, withholding: boolean): void {
    if (withholding) this.parts.cache.versions?.withhold(from, REDELIVERY_MS);
    else this.parts.cache.versions?.release(from);
  }

  /** Another instance invalidated `tags` (the bus): forget their versions, announce the entities here. */
  remote(tags: string[], entities: Parameters<InvalidationFeed['announce']>[0]): void {
    this.parts.cache.versions?.forget(tags);
    this.parts.feed.announce(entities);
  }

  /** A message from another instance was lost (the bus's sequence numbers): nothing in L1 is trusted until read again. */
  missed(): void {
    this.parts.cache.l1?.clear();
    this.parts.cache.versions?.clear();
  }

  /** The bus dropped: until it is back, messages from other instances cannot reach this one, so L1 is not trusted at all. */
  disconnected(): void {
    this.outages++;
    this.parts.cache.versions?.suspend();
  }

  /**
   * The bus was away and may have missed messages: nothing in L1 is trusted until read again.
   * L1 is trusted again only RESUME_AFTER_MS later: another instance's connection to Redis may
   * come back after this one's (its retries are further apart), and a write it makes until
   * then reaches Redis late (redeliver).
   */
  resubscribed(): void {
    this.parts.cache.l1?.clear();
    this.parts.cache.versions?.clear();
    const outage = this.outages;
    const resume = () => {
      if (this.outages !== outage) return; // dropped again meanwhile: its own resubscription resumes
      this.parts.cache.l1?.clear();
      this.parts.cache.versions?.clear();
      this.parts.cache.versions?.resume();
      if (outage > 0) this.parts.cleared?.();
    };
    if (outage === 0) resume();
    else setTimeout(resume, RESUME_AFTER_MS).unref();
  }
}
