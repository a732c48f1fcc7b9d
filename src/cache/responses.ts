/**
 * The response tier: whole answers of PUBLIC queries, serialized, in front of execution. A hit
 * is sent by the HTTP layer as stored bytes, without Apollo's pipeline or any resolver.
 *
 * It is invalidated like every other tier, by tag versions: while a request executes, each
 * entry the loaders serve reports the versions of the tags it was built from (a load reports
 * the versions it began with), and the answer records them all. A write or a bus message
 * moves a version, and every answer built from that tag reads as invalid from then on, on
 * every instance; an answer whose entries disagreed on a version (a write landed while it was
 * built) is not stored at all. So it is never staler than the tiers under it.
 *
 * In process only: an answer is cheap to rebuild from L1 and L2, and the whole point of this
 * tier is to skip work, not to add a round trip.
 */
import { isCurrent, stillCurrent, type Entry } from './entry.js';
import { L1 } from './l1.js';
import type { TagVersions } from './versions.js';

export interface StoredResponse {
  body: string;
  /** Headers to send again: content-type, cache-control. */
  headers: Record<string, string>;
  /** Of a whole answer; not of a list's item (responseTier.ts serveList). */
  etag?: string;
  storedAt: number;
}

/** What one request's execution read, as tag versions; `conflict` when two entries disagreed. */
export class ResponseTrace {
  readonly versions: Record<string, string> = {};
  conflict = false;
  /** Set by the plugin once the operation is known to be a query whose every root field is traced. */
  traced = false;

  /** This trace without the tags in `dropped` other than `kept` (one item's share of a list's run). */
  without(dropped: ReadonlySet<string>, kept: string): ResponseTrace {
    const share = new ResponseTrace();
    for (const tag in this.versions) if (tag === kept || !dropped.has(tag)) share.versions[tag] = this.versions[tag];
    share.conflict = this.conflict;
    share.traced = this.traced;
    return share;
  }

  /** An entry was served (or loaded) recording `versions`. */
  record(versions: Record<string, string>): void {
    for (const tag in versions) {
      const known = this.versions[tag];
      if (known === undefined) this.versions[tag] = versions[tag];
      else if (known !== versions[tag]) this.conflict = true;
    }
  }
}

export class ResponseCache {
  private readonly store: L1;

  constructor(
    maxBytes: number,
    private readonly versions: TagVersions,
  ) {
    this.store = new L1(maxBytes);
  }

  /**
   * The stored answer of `key` if it is fresh and every tag it records is at its current
   * version (checked tag by tag once per epoch of the versions: entry.ts stillCurrent).
   */
  get(key: string, now = Date.now()): StoredResponse | undefined {
    const entry = this.store.get<StoredResponse>(key);
    if (!entry || entry.freshUntil <= now || !stillCurrent(entry, this.versions)) return undefined;
    return entry.value;
  }

  /** Stores an answer built as `trace` says, for `ttlMs`; not if it may already be invalid. */
  set(key: string, response: StoredResponse, trace: ResponseTrace, ttlMs: number): void {
    if (trace.conflict || !trace.traced || ttlMs <= 0) return;
    const now = response.storedAt;
    const entry: Entry<StoredResponse> = { value: response, freshUntil: now + ttlMs, staleUntil: now + ttlMs, versions: trace.versions };
    // Born invalid if a version moved while it was built: then it is not worth the space.
    if (!isCurrent(entry, this.versions)) return;
    this.store.set(key, entry, response.body.length + key.length);
  }

  get bytes(): number {
    return this.store.bytes;
  }
}
