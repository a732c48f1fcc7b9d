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
  /**
   * A skeleton (server/entityPieces.ts): the answer's text around its pieces, and the key of
   * each piece, in order; `body` is then empty.
   */
  skeleton?: { parts: readonly string[]; pieces: readonly string[] };
}

/**
 * What one request's execution read, as tag versions; `conflict` when two entries disagreed.
 *
 * With attribution (an answer that shows entities as pieces, server/entityPieces.ts), it also
 * tells apart the reads of an entity shown by reference (a resolver returning the entity's
 * own row as the object at its place: `reference`, the entity's tag) from every other read.
 * An answer's skeleton needs the versions of the other reads only, plus those of entities it
 * shows elsewhere than as pieces; each piece needs its own entity's.
 */
export class ResponseTrace {
  readonly versions: Record<string, string> = {};
  conflict = false;
  /** Set by the plugin once the operation is known to be a query whose every root field is traced. */
  traced = false;
  /** Tags recorded by reads other than references (with attribution only). */
  private readonly direct: Set<string> | undefined;
  /** Per entity tag read by reference: its entry's versions, and how many reads (with attribution only). */
  private readonly references: Map<string, { versions: Record<string, string>; reads: number }> | undefined;

  constructor(attributing = false) {
    if (attributing) {
      this.direct = new Set();
      this.references = new Map();
    }
  }

  /** Whether reads are told apart (loaders pass the entity's tag only then). */
  get attributing(): boolean {
    return this.direct !== undefined;
  }

  /** This trace without the tags in `dropped` other than `kept` (one item's share of a list's run). */
  without(dropped: ReadonlySet<string>, kept: string): ResponseTrace {
    const share = new ResponseTrace();
    for (const tag in this.versions) if (tag === kept || !dropped.has(tag)) share.versions[tag] = this.versions[tag];
    return share.sameOutcome(this);
  }

  /**
   * An entry was served (or loaded) recording `versions`; `reference`: the tag of the entity
   * whose row it is, when the reader shows it by reference.
   */
  record(versions: Record<string, string>, reference?: string): void {
    for (const tag in versions) {
      const known = this.versions[tag];
      if (known === undefined) this.versions[tag] = versions[tag];
      else if (known !== versions[tag]) this.conflict = true;
    }
    if (!this.direct) return;
    if (reference === undefined) {
      for (const tag in versions) this.direct.add(tag);
      return;
    }
    const read = this.references!.get(reference);
    if (read) read.reads++;
    else this.references!.set(reference, { versions, reads: 1 });
  }

  /** What the entity `reference` was read as, if it was read by reference. */
  referenceOf(reference: string): Record<string, string> | undefined {
    return this.references?.get(reference)?.versions;
  }

  /**
   * The share of the answer outside its pieces: every tag but those only the pieces' own reads
   * recorded. `pieces` counts the pieces of each entity; an entity read by reference more often
   * than it is shown as a piece is shown somewhere else too, so its tags stay.
   */
  outside(pieces: ReadonlyMap<string, number>): ResponseTrace {
    const kept = new Set(this.direct);
    for (const [entity, read] of this.references ?? []) {
      if (read.reads !== pieces.get(entity)) for (const tag in read.versions) kept.add(tag);
    }
    const share = new ResponseTrace();
    for (const tag in this.versions) if (kept.has(tag)) share.versions[tag] = this.versions[tag];
    return share.sameOutcome(this);
  }

  /**
   * The piece of one entity read by reference: its entry's versions alone. It is traced
   * whatever the operation (a mutation's too): a projection of one row read through the tiers.
   */
  pieceOf(reference: string): ResponseTrace | undefined {
    const read = this.references?.get(reference);
    if (!read) return undefined;
    const share = new ResponseTrace();
    Object.assign(share.versions, read.versions);
    share.conflict = this.conflict;
    share.traced = true;
    return share;
  }

  private sameOutcome(of: ResponseTrace): this {
    this.conflict = of.conflict;
    this.traced = of.traced;
    return this;
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
    return this.entry(key, now)?.value;
  }

  /** get(), with the entry around the answer: until when it is fresh, and the versions it records. */
  entry(key: string, now = Date.now()): Entry<StoredResponse> | undefined {
    const entry = this.store.get<StoredResponse>(key);
    if (!entry || entry.freshUntil <= now || !stillCurrent(entry, this.versions)) return undefined;
    return entry;
  }

  /** Stores an answer built as `trace` says, for `ttlMs`; not if it may already be invalid. */
  set(key: string, response: StoredResponse, trace: ResponseTrace, ttlMs: number): void {
    if (trace.conflict || !trace.traced || ttlMs <= 0) return;
    this.put(key, response, trace.versions, response.storedAt + ttlMs);
  }

  /** Stores an answer recording `versions` until `freshUntil`; not if it may already be invalid. */
  put(key: string, response: StoredResponse, versions: Record<string, string>, freshUntil: number): void {
    const entry: Entry<StoredResponse> = { value: response, freshUntil, staleUntil: freshUntil, versions };
    // Born invalid if a version moved while it was built: then it is not worth the space.
    if (!isCurrent(entry, this.versions)) return;
    const bytes = response.skeleton ? response.skeleton.parts.reduce((sum, part) => sum + part.length, 0) : response.body.length;
    this.store.set(key, entry, bytes + key.length);
  }

  get bytes(): number {
    return this.store.bytes;
  }
}
