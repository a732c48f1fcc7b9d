/**
 * A DataLoader whose batch function reads the tiers in order — L1, then L2 (one round trip
 * shared with every other loader of the tick, carrying the versions of the entries' tags),
 * then the source (one batched statement, or the engine) — and writes what the source found
 * back to L2 (one pipeline per tick) and L1, with the TTL the schema gives.
 *
 * An entry is served only while every tag it records is at its current version; past its
 * TTL but within the grace period it is served stale while one refresh runs. Keys another
 * request of this instance is loading are waited for (single flight); for engine work, with
 * Redis, another instance's computation is waited for too (a short lock). Misses (ids with
 * no row) are not cached.
 */
import DataLoader from 'dataloader';
import { deserialize, isCurrent, serialize, stillCurrent, type Entry } from './entry.js';
import type { L1 } from './l1.js';
import type { L2Batcher, L2Read } from './l2.js';
import type { SingleFlight } from './singleFlight.js';
import { freshVersions, newVersion, type TagVersions } from './versions.js';
import type { AdaptiveTtl } from './adaptiveTtl.js';
import type { ResponseTrace } from './responses.js';
import { tags } from './tags.js';
import { logger } from '../log.js';

const log = logger('cache');

/** Per request: what the tiers answered, for tests, `x-cache-debug` and metrics. */
export interface CacheStats {
  l1Hits: number;
  l2Hits: number;
  misses: number;
  /** Entries served past their TTL, within the grace period (counted in the hits too). */
  stale: number;
}

export type Level = 'l1' | 'l2';

export interface TierSet {
  l1: L1 | undefined;
  l2: L2Batcher | undefined;
  /** Undefined with CACHE=off: every load goes to the source. */
  versions: TagVersions | undefined;
  /** Shared by every request of the instance: concurrent misses of one key load it once. */
  singleFlight: SingleFlight | undefined;
  adaptiveTtl: AdaptiveTtl | undefined;
  graceMs: number;
  lockTtlMs: number;
  lockKey(key: string): string;
  stats: CacheStats;
  /** With the response tier: hears the versions of every entry served or loaded (cache/responses.ts). */
  trace: ResponseTrace | undefined;
  /** Called for every lookup outcome at a level (metrics). */
  observe(outcome: 'hit' | 'miss' | 'stale', level: Level, type: string, count: number): void;
  /** Called with the duration of each source batch (metrics). */
  observeSource(seconds: number): void;
}

/** `C`: what a load may use of the request besides its keys (the request's entity loaders). */
export interface TieredLoaderSpec<K, V, C = unknown> {
  /** What is served, for metrics labels: a GraphQL type (`Movie`) or field (`Query.travelTime`). */
  type: string;
  /** The cache key of a load key (an id, or a field's arguments), from keys.ts. */
  key(k: K): string;
  /** What the value is built from (tags.ts): a write to any of them invalidates it. */
  tags(k: K): string[];
  /**
   * Of `tags(k)`, those this value turned out to be built from, where it may be fewer (a list
   * that did not need its fallback): its entry records only these, so writes to the others
   * leave it be. Their versions are still read before the load, as every tag's is.
   */
  builtFrom?(k: K, value: V): readonly string[];
  /** How long a found value is fresh, from the schema's policy (before adaptive TTLs). */
  ttlMs: number | ((k: K, value: V) => number);
  /** Engine work: with Redis, one instance computes a key at a time, the others wait for it. */
  exclusive?: boolean;
  /** The source of truth: values in the order of `ks`, undefined where none exists. */
  load(ks: readonly K[], request: C): Promise<Array<V | undefined>>;
}

/**
 * Declares a spec (built once per instance), inferring its key and value types. Its `key`
 * remembers the keys it built for ids: a key built afresh is a new string, concatenated and
 * then hashed by every Map it is looked up in (L1, DataLoader), while a remembered one carries
 * its hash. On a warm request that lists twenty movies, that is most of an L1 lookup.
 */
export function loaderSpec<K, V, C = unknown>(spec: TieredLoaderSpec<K, V, C>): TieredLoaderSpec<K, V, C> {
  return { ...spec, key: rememberedKeys(spec.key) };
}

/** Keys remembered per spec; past this many the memo starts over (ids beyond it are rare). */
const REMEMBERED_KEYS = 50_000;

function rememberedKeys<K>(key: (k: K) => string): (k: K) => string {
  const memo = new Map<K, string>();
  return (k) => {
    if (typeof k !== 'number' && typeof k !== 'string') return key(k);
    let built = memo.get(k);
    if (built === undefined) {
      if (memo.size >= REMEMBERED_KEYS) memo.clear();
      memo.set(k, (built = key(k)));
    }
    return built;
  };
}

/**
 * A value a write's own statement returned (a row as the write left it), to be stored by the
 * write's invalidation instead of loaded again by the next read (TieredLoader.beforeWrite).
 * It may be stored recording the write's new versions only if no other write gave its tags a
 * version between `before` (read before the statement) and this write's: the invalidation
 * checks that, here and in Redis (setVersions' `expected`), and calls `store` only then.
 */
export interface WrittenValue {
  /** Each tag the value records, with the version it had before the write's statement. */
  readonly before: Readonly<Record<string, string>>;
  /**
   * From the write's new versions (`versions`) until `stored` says whether the value was
   * stored: a read that misses the value at those versions waits for it (SingleFlight.offer),
   * and gets it, or if it was not stored loads it then.
   */
  meanwhile(versions: Record<string, string>, stored: Promise<boolean>): void;
  /** Stores the value in L1 and L2, recording `versions` (the write's for the tags it bumped, `before` for the rest). */
  store(versions: Record<string, string>): void;
}

/** One key of a batch, and what the tiers learned about it. */
interface Ask<K> {
  k: K;
  key: string;
  tags: string[];
  /** The versions of `tags` before the load: what its entry records. */
  fence?: Record<string, string>;
  /**
   * Tags Redis had no version of when read (never written, or evicted): until Redis gives
   * them one before the load (reserveFirstVersions), the fence holds this instance's.
   */
  unversioned?: string[];
}

/** A spec bound to one request: what the functions below work with. */
type Bound<K, V> = Omit<TieredLoaderSpec<K, V>, 'load'> & { load(ks: readonly K[]): Promise<Array<V | undefined>> };

/**
 * What a read is for, which decides what the request's trace (responses.ts) hears of it:
 * - `shown`: the answer shows what it read;
 * - `reference`: the answer shows this entity's row as the object at the reader's place, and
 *   nothing else of it (the object's fields are projections of the row);
 * - `input`: a computed value is built from it, and the computed entry's own tags say what
 *   it depends on (a match records the scoring of its candidate, not the candidate), so the
 *   read adds nothing to the trace.
 */
export type ReadFor = 'shown' | 'reference' | 'input';

/** Per request: the versions each key was served or loaded at, for the trace to record per read. */
type Served = Map<string, Record<string, string>>;

/**
 * One request's loader of a spec: `fetch` answers at once, with no promise, when L1 holds the
 * value fresh and current; what it lacks goes to a DataLoader over the tiers (made on the first
 * miss, so a request served from L1 makes none). graphql-js completes a field whose resolver
 * returns a value in place, while each promise costs a turn of the microtask queue and its
 * allocations: on a warm request that lists ten movies, that is most of the work.
 */
export class TieredLoader<K, V> {
  private batches: DataLoader<K, V | undefined, string> | undefined;
  /** Undefined without a trace to tell. */
  private readonly served: Served | undefined;

  constructor(
    private readonly spec: TieredLoaderSpec<K, V, any>,
    private readonly tiers: TierSet,
    private readonly request: unknown,
  ) {
    if (tiers.trace) this.served = new Map();
  }

  /** The value now if L1 has it fresh and current, else `load(k)`. */
  fetch(k: K): V | undefined | Promise<V | undefined> {
    return this.fetchFor(k, 'shown');
  }

  /** fetch(), for a resolver whose object is this entity's row (ReadFor `reference`). */
  fetchReference(k: K): V | undefined | Promise<V | undefined> {
    return this.fetchFor(k, 'reference');
  }

  /**
   * The values of `ks` in order: now if L1 has every one fresh and current, else a promise
   * that loads only those it lacks (in one batch). A failed load rejects.
   */
  fetchMany(ks: readonly K[]): Array<V | undefined> | Promise<Array<V | undefined>> {
    return this.fetchManyFor(ks, 'shown');
  }

  /** fetchMany(), for a list whose items are these entities' rows (ReadFor `reference`). */
  fetchReferences(ks: readonly K[]): Array<V | undefined> | Promise<Array<V | undefined>> {
    return this.fetchManyFor(ks, 'reference');
  }

  /** The value through the tiers, batched with this tick's other loads (DataLoader's `load`). */
  load(k: K): Promise<V | undefined> {
    return this.loadFor(k, 'shown');
  }

  /** load(), for a computed value built from it (ReadFor `input`). */
  loadInput(k: K): Promise<V | undefined> {
    return this.loadFor(k, 'input');
  }

  private fetchFor(k: K, use: ReadFor): V | undefined | Promise<V | undefined> {
    const entry = fromL1Now<K, V>(this.spec, this.tiers, k);
    if (!entry) return this.loadFor(k, use);
    this.heard(k, entry.versions, use);
    return entry.value;
  }

  private fetchManyFor(ks: readonly K[], use: ReadFor): Array<V | undefined> | Promise<Array<V | undefined>> {
    const values: Array<V | undefined> = new Array(ks.length);
    let lacking: number[] | undefined;
    for (let i = 0; i < ks.length; i++) {
      const entry = fromL1Now<K, V>(this.spec, this.tiers, ks[i]);
      if (!entry) {
        (lacking ??= []).push(i);
        continue;
      }
      values[i] = entry.value;
      this.heard(ks[i], entry.versions, use);
    }
    if (!lacking) return values;
    const positions = lacking;
    return Promise.all(positions.map((i) => this.loadFor(ks[i], use))).then((loaded) => {
      positions.forEach((i, n) => (values[i] = loaded[n]));
      return values;
    });
  }

  /**
   * Through the DataLoader; the trace hears the versions the batch served or loaded the key at
   * once it has (per read: a key read twice, once shown and once as a reference, counts as both).
   */
  private loadFor(k: K, use: ReadFor): Promise<V | undefined> {
    const loading = this.dataLoader().load(k);
    if (!this.tiers.trace || use === 'input') return loading;
    const key = this.spec.key(k);
    return loading.then((value) => {
      const versions = this.served!.get(key);
      if (versions) this.heard(k, versions, use);
      return value;
    });
  }

  /** The trace hears that `k` was read at `versions` for `use` (an input adds nothing). */
  private heard(k: K, versions: Record<string, string>, use: ReadFor): void {
    const trace = this.tiers.trace;
    if (!trace || use === 'input') return;
    // The entity tag a reference read names, when the trace tells reads apart.
    trace.record(versions, use === 'reference' && trace.attributing ? tags.entity(this.spec.type, k as string | number) : undefined);
  }

  /**
   * Before a write whose statement also returns the value of `k` as the write leaves it: the
   * versions the value's tags have now, and a way to store that value once the write's
   * invalidation has given it versions (invalidate.ts), so the next read of `k`, here or on
   * another instance, needs no statement. Undefined when a version is not known here: the
   * value is then loaded again by the next read, as after any write.
   */
  beforeWrite(k: K): ((value: V) => WrittenValue) | undefined {
    const versions = this.tiers.versions;
    if (!versions) return undefined;
    const tags = this.spec.tags(k);
    const before: Record<string, string> = {};
    for (const tag of tags) {
      const version = versions.get(tag);
      if (version === undefined) return undefined;
      before[tag] = version;
    }
    const key = this.spec.key(k);
    return (value) => ({
      before,
      meanwhile: (versions, stored) =>
        this.tiers.singleFlight?.offer(flightKey({ k, key, tags, fence: versions }), stored.then((ok) => (ok ? value : NOT_STORED))),
      store: (recorded) => writeBack(this.spec, this.tiers, [{ k, key, tags: Object.keys(recorded), fence: recorded }], [value]),
    });
  }

  /** Remembers `value` for `k` in this request only (a list that read whole rows). */
  prime(k: K, value: V): this {
    this.dataLoader().prime(k, value);
    return this;
  }

  /** Forgets what this request loaded. */
  clearAll(): this {
    this.batches?.clearAll();
    return this;
  }

  private dataLoader(): DataLoader<K, V | undefined, string> {
    return (this.batches ??= createBatches(this.spec, this.tiers, this.request, this.served));
  }
}

/** The loader of `spec` for one request, whose loads may use `request`. */
export function createTieredLoader<K, V, C>(spec: TieredLoaderSpec<K, V, C>, tiers: TierSet, request: C): TieredLoader<K, V> {
  return new TieredLoader<K, V>(spec, tiers, request);
}

/** The DataLoader behind a request's TieredLoader: its batch function reads the tiers in order. */
function createBatches<K, V, C>(unbound: TieredLoaderSpec<K, V, C>, tiers: TierSet, request: C, served: Served | undefined): DataLoader<K, V | undefined, string> {
  const spec: Bound<K, V> = { ...unbound, load: (ks) => unbound.load(ks, request) };
  // The cache key doubles as DataLoader's: arguments that build one key are one load.
  return new DataLoader<K, V | undefined, string>(
    async (ks) => {
      if (!tiers.versions) {
        tiers.stats.misses += ks.length;
        return timedLoad(spec, tiers, ks);
      }
      const asks: Array<Ask<K>> = ks.map((k) => ({ k, key: spec.key(k), tags: spec.tags(k) }));
      const values: Array<V | undefined> = new Array(asks.length);
      let missing = readL1(spec, tiers, asks, values, served);
      if (missing.length > 0 && tiers.l2) missing = await readL2(spec, tiers, asks, values, missing, served);
      if (missing.length > 0) {
        tiers.stats.misses += missing.length;
        const found = await loadShared(spec, tiers, asks, missing);
        missing.forEach((i, n) => {
          values[i] = found[n];
          // What it loaded is at least as new as the versions it began with (found or not).
          served?.set(asks[i].key, asks[i].fence!);
        });
      }
      return values;
    },
    { cacheKeyFn: spec.key },
  );
}

/** A fresh, current L1 entry of `k`, counted as a hit; undefined for anything else (load() decides). */
function fromL1Now<K, V>(spec: Pick<TieredLoaderSpec<K, V, any>, 'key' | 'type'>, tiers: TierSet, k: K): Entry<V> | undefined {
  if (!tiers.l1 || !tiers.versions) return undefined;
  const key = spec.key(k);
  const entry = tiers.l1.get<V>(key);
  if (!entry) return undefined;
  const now = Date.now();
  if (entry.freshUntil <= now || !stillCurrent(entry, tiers.versions)) return undefined;
  tiers.stats.l1Hits++;
  tiers.observe('hit', 'l1', spec.type, 1);
  tiers.adaptiveTtl?.touch(key, now);
  return entry;
}

/** Fills what L1 holds at current versions; returns the positions it did not. */
function readL1<K, V>(spec: Bound<K, V>, tiers: TierSet, asks: Array<Ask<K>>, values: Array<V | undefined>, served: Served | undefined): number[] {
  if (!tiers.l1) return asks.map((_, i) => i);
  const versions = tiers.versions!;
  const missing: number[] = [];
  const stale: Array<Ask<K>> = [];
  asks.forEach((ask, i) => {
    const entry = tiers.l1!.get<V>(ask.key);
    if (!entry || !stillCurrent(entry, versions)) return void missing.push(i);
    values[i] = entry.value;
    served?.set(ask.key, entry.versions);
    if (entry.freshUntil <= Date.now()) {
      ask.fence = entry.versions;
      stale.push(ask);
    }
    tiers.adaptiveTtl?.touch(ask.key);
  });
  counted(spec, tiers, 'l1', asks.length, missing, stale);
  return missing;
}

/** Fills what L2 holds at current versions (copying it to L1); returns the positions still missing. */
async function readL2<K, V>(
  spec: Bound<K, V>,
  tiers: TierSet,
  asks: Array<Ask<K>>,
  values: Array<V | undefined>,
  missing: number[],
  served: Served | undefined,
): Promise<number[]> {
  const readAt = tiers.versions!.now();
  const read = await tiers.l2!.get(
    missing.map((i) => asks[i].key),
    [...new Set(missing.flatMap((i) => asks[i].tags))],
  );
  learnVersions(tiers, read, readAt);
  const still: number[] = [];
  const stale: Array<Ask<K>> = [];
  missing.forEach((i, n) => {
    const ask = asks[i];
    fenceFromRedis(tiers, ask, read.versions);
    const entry = currentEntry<V>(read.texts[n], read.versions);
    if (!entry) return void still.push(i);
    values[i] = entry.value;
    served?.set(ask.key, entry.versions);
    tiers.l1?.set(ask.key, entry, read.texts[n]!.length);
    if (entry.freshUntil <= Date.now()) stale.push(ask);
    tiers.adaptiveTtl?.touch(ask.key);
  });
  counted(spec, tiers, 'l2', missing.length, still, stale);
  return still;
}

/** The entry `text` holds if every tag it records is at the version Redis has now. */
function currentEntry<V>(text: string | null, versions: Map<string, string | null>): Entry<V> | undefined {
  const entry = deserialize<V>(text);
  return entry && isCurrent(entry, versions) ? entry : undefined;
}

/** Redis is the truth about versions: what a read begun at `readAt` found replaces what this instance knew. */
function learnVersions(tiers: TierSet, read: L2Read, readAt: number): void {
  for (const [tag, version] of read.versions) if (version !== null) tiers.versions!.learn(tag, version, readAt);
}

/**
 * What a load of `ask` will record: Redis' versions of its tags, and for a tag Redis has no
 * version of (never written, or evicted), the one this instance knows or a new one, which
 * reserveFirstVersions replaces with Redis's first one before the load (this one stays only
 * when Redis does not answer: L1 goes on serving by this instance's versions).
 */
function fenceFromRedis<K>(tiers: TierSet, ask: Ask<K>, versions: Map<string, string | null>): void {
  ask.fence = {};
  for (const tag of ask.tags) {
    const version = versions.get(tag);
    if (version != null) ask.fence[tag] = version;
    else {
      ask.fence[tag] = tiers.versions!.adopt(tag);
      (ask.unversioned ??= []).push(tag);
    }
  }
}

/** Records a level's hits, misses and stale serves (request stats and metrics), and refreshes the stale ones. */
function counted<K, V>(spec: Bound<K, V>, tiers: TierSet, level: Level, asked: number, missing: number[], stale: Array<Ask<K>>): void {
  const hits = asked - missing.length;
  if (level === 'l1') tiers.stats.l1Hits += hits;
  else tiers.stats.l2Hits += hits;
  tiers.stats.stale += stale.length;
  tiers.observe('hit', level, spec.type, hits);
  tiers.observe('miss', level, spec.type, missing.length);
  tiers.observe('stale', level, spec.type, stale.length);
  if (stale.length > 0) refreshInBackground(spec, tiers, stale);
}

/**
 * Stale-while-revalidate: reloads entries served stale, once per key per instance, after the
 * response. A failure (Postgres down) is logged; the stale entry serves on until its grace ends.
 */
function refreshInBackground<K, V>(spec: Bound<K, V>, tiers: TierSet, asks: Array<Ask<K>>): void {
  loadShared(spec, tiers, asks, asks.map((_, i) => i)).catch((err) =>
    log.warn('could not refresh stale entries; serving them until their grace period ends', { type: spec.type, keys: asks.length, err }),
  );
}

/**
 * Loads `positions` of `asks` from the source, joining loads of the same key at the same
 * versions already under way on this instance, and writes what it loaded back.
 */
async function loadShared<K, V>(spec: Bound<K, V>, tiers: TierSet, asks: Array<Ask<K>>, positions: number[]): Promise<Array<V | undefined>> {
  const chosen = positions.map((i) => asks[i]);
  for (const ask of chosen) if (!ask.fence) fenceFromMirror(tiers, ask);
  await reserveFirstVersions(tiers, chosen);
  // `own` indexes into `chosen`: the asks no other request is loading already.
  const loadOwn = (own: number[]) => {
    const mine = own.map((n) => chosen[n]);
    return spec.exclusive && tiers.l2 ? loadExclusive(spec, tiers, mine) : loadAndStore(spec, tiers, mine);
  };
  if (!tiers.singleFlight) return loadOwn(chosen.map((_, n) => n));
  // A load that began before a write recorded older versions: a later request does not join it.
  const values = await tiers.singleFlight.load<V | typeof NOT_STORED>(chosen.map(flightKey), loadOwn);
  // Those that waited for a write's value it did not store (WrittenValue.meanwhile) load it now.
  const unstored = values.flatMap((value, n) => (value === NOT_STORED ? [n] : []));
  if (unstored.length > 0) (await loadOwn(unstored)).forEach((value, i) => (values[unstored[i]] = value));
  return values as Array<V | undefined>;
}

/** What a write offers the reads waiting for its value when it did not store it (TieredLoader.beforeWrite). */
const NOT_STORED = Symbol('not stored');

/**
 * Tags Redis had no version of get their first ones there before the load reads the source,
 * and the load records those. Set after the load (with its entry), a first version could
 * land after another instance's write whose own version Redis had meanwhile evicted, and
 * Redis would vouch for what the load read before that write, on every instance. Set
 * before, it is older than any write the load may have missed, whose version replaces it;
 * and it is new, never the version this instance knew: that one may be what such a write
 * replaced, and setting it again would make the entries built before the write current.
 * When Redis does not answer, the load records this instance's versions and sets none.
 */
async function reserveFirstVersions<K>(tiers: TierSet, asks: Array<Ask<K>>): Promise<void> {
  if (!tiers.l2) return;
  const tags = asks.flatMap((ask) => ask.unversioned ?? []);
  if (tags.length === 0) return;
  const readAt = tiers.versions!.now();
  const versions = await tiers.l2.reserve(new Map(Object.entries(freshVersions(tags))));
  if (versions) settleFirstVersions(tiers, asks, versions, readAt);
}

/** With L1 only, versions live here: known ones, or new ones for tags never versioned. */
function fenceFromMirror<K>(tiers: TierSet, ask: Ask<K>): void {
  ask.fence = Object.fromEntries(ask.tags.map((tag) => [tag, tiers.versions!.adopt(tag)]));
}

function flightKey<K>(ask: Ask<K>): string {
  return ask.tags.length === 0 ? ask.key : `${ask.key}@${ask.tags.map((tag) => ask.fence![tag]).join(',')}`;
}

async function timedLoad<K, V>(spec: Bound<K, V>, tiers: TierSet, ks: readonly K[]): Promise<Array<V | undefined>> {
  const started = process.hrtime.bigint();
  try {
    return await spec.load(ks);
  } finally {
    tiers.observeSource(Number(process.hrtime.bigint() - started) / 1e9);
  }
}

async function loadAndStore<K, V>(spec: Bound<K, V>, tiers: TierSet, asks: Array<Ask<K>>, lockToken?: string): Promise<Array<V | undefined>> {
  const loaded = await timedLoad(spec, tiers, asks.map((a) => a.k));
  writeBack(spec, tiers, asks, loaded, lockToken);
  return loaded;
}

/**
 * Engine work across instances: takes a Redis lock per key, and in the same round trip looks
 * again for the entry (another instance may have stored it since this one missed it, and
 * released its lock). Computes the keys it locked and did not find; for keys another
 * instance holds, waits for the holder's entry to land, computing only what does not land
 * before the lock is released or expires.
 */
async function loadExclusive<K, V>(spec: Bound<K, V>, tiers: TierSet, asks: Array<Ask<K>>): Promise<Array<V | undefined>> {
  const l2 = tiers.l2!;
  const token = newVersion();
  const readAt = tiers.versions!.now();
  const read = await l2.lock(
    asks.map((a) => tiers.lockKey(a.key)),
    token,
    tiers.lockTtlMs,
    asks.map((a) => a.key),
    [...new Set(asks.flatMap((a) => a.tags))],
  );
  learnVersions(tiers, read, readAt);
  const byKey = new Map<string, V | undefined>();
  const mine: Array<Ask<K>> = [];
  const theirs: Array<Ask<K>> = [];
  asks.forEach((ask, n) => {
    const landed = currentEntry<V>(read.texts[n], read.versions);
    if (landed) {
      byKey.set(ask.key, landed.value);
      tiers.l1?.set(ask.key, landed, read.texts[n]!.length);
      if (read.taken[n]) l2.releaseAfterWrite(tiers.lockKey(ask.key), token);
    } else (read.taken[n] ? mine : theirs).push(ask);
  });
  const computeMine = loadAndStore(spec, tiers, mine, token).catch(async (err) => {
    await l2.release(mine.map((a) => tiers.lockKey(a.key)), token);
    throw err;
  });
  const [fromMine, fromTheirs] = await Promise.all([computeMine, waitForOthers(spec, tiers, theirs)]);
  mine.forEach((a, n) => byKey.set(a.key, fromMine[n]));
  theirs.forEach((a, n) => byKey.set(a.key, fromTheirs[n]));
  return asks.map((a) => byKey.get(a.key));
}

/**
 * Two instances may each pick a first version for a tag; Redis keeps one, and the loads
 * record that one, so their entries are valid on every instance.
 */
function settleFirstVersions<K>(tiers: TierSet, asks: Array<Ask<K>>, versions: Map<string, string | null>, readAt: number): void {
  for (const [tag, version] of versions) {
    if (version === null) continue;
    tiers.versions!.learn(tag, version, readAt);
    for (const ask of asks) {
      if (!ask.unversioned?.includes(tag)) continue;
      ask.fence![tag] = version;
      ask.unversioned = ask.unversioned.filter((t) => t !== tag);
    }
  }
}

/** Polls Redis for entries another instance is computing; computes what it gave up on. */
async function waitForOthers<K, V>(spec: Bound<K, V>, tiers: TierSet, asks: Array<Ask<K>>): Promise<Array<V | undefined>> {
  const values: Array<V | undefined> = new Array(asks.length);
  let waiting = asks.map((_, i) => i);
  const deadline = Date.now() + tiers.lockTtlMs;
  for (let delay = 5; waiting.length > 0 && Date.now() < deadline; delay = Math.min(delay * 2, 100)) {
    await new Promise((r) => setTimeout(r, delay));
    const peek = await tiers.l2!.peek(
      waiting.map((i) => asks[i].key),
      [...new Set(waiting.flatMap((i) => asks[i].tags))],
      waiting.map((i) => tiers.lockKey(asks[i].key)),
    );
    const next: number[] = [];
    const gaveUp: number[] = [];
    waiting.forEach((i, n) => {
      const entry = currentEntry<V>(peek.texts[n], peek.versions);
      if (entry) {
        values[i] = entry.value;
        tiers.l1?.set(asks[i].key, entry, peek.texts[n]!.length);
      } else if (peek.locked[n]) next.push(i);
      else gaveUp.push(i); // the holder failed, or found nothing to store
    });
    if (gaveUp.length > 0) await fill(values, gaveUp, loadAndStore(spec, tiers, gaveUp.map((i) => asks[i])));
    waiting = next;
  }
  if (waiting.length > 0) {
    log.warn('gave up waiting for another instance to compute; computing here', { type: spec.type, keys: waiting.length, waitedMs: tiers.lockTtlMs });
    await fill(values, waiting, loadAndStore(spec, tiers, waiting.map((i) => asks[i])));
  }
  return values;
}

async function fill<V>(values: Array<V | undefined>, positions: number[], loaded: Promise<Array<V | undefined>>): Promise<void> {
  const found = await loaded;
  positions.forEach((i, n) => (values[i] = found[n]));
}

/**
 * Stores what the source found in L1 now and in L2 with the tick's pipeline, each entry
 * recording the versions its load began with: if a write bumped one meanwhile, the entry is
 * born invalid and never served. One this instance already knows is outdated is not stored at
 * all: it would only take the place of a current entry another instance stored meanwhile.
 * Releases the locks it was computed under after the entries.
 */
function writeBack<K, V>(spec: Pick<TieredLoaderSpec<K, V>, 'builtFrom' | 'ttlMs'>, tiers: TierSet, asks: Array<Ask<K>>, loaded: Array<V | undefined>, lockToken?: string): void {
  const now = Date.now();
  asks.forEach((ask, n) => {
    const value = loaded[n];
    if (value === undefined || knownOutdated(ask.fence, tiers)) return void (lockToken && tiers.l2?.releaseAfterWrite(tiers.lockKey(ask.key), lockToken));
    // The request's trace hears the narrowed versions too (createBatches), as a later request's hears the entry's.
    if (spec.builtFrom && ask.fence) ask.fence = onlyTags(ask.fence, spec.builtFrom(ask.k, value));
    const base = typeof spec.ttlMs === 'number' ? spec.ttlMs : spec.ttlMs(ask.k, value);
    if (base > 0) {
      const ttlMs = tiers.adaptiveTtl?.ttlFor(ask.key, base) ?? base;
      const entry: Entry<V> = { value, freshUntil: now + ttlMs, staleUntil: now + ttlMs + tiers.graceMs, versions: ask.fence ?? {} };
      const text = serialize(entry);
      tiers.l1?.set(ask.key, entry, text.length);
      tiers.l2?.set(ask.key, text, ttlMs + tiers.graceMs);
    }
    if (lockToken) tiers.l2?.releaseAfterWrite(tiers.lockKey(ask.key), lockToken);
  });
}

/** The versions of `fence` for `kept` alone. */
function onlyTags(fence: Record<string, string>, kept: readonly string[]): Record<string, string> {
  const only: Record<string, string> = {};
  for (const tag of kept) if (tag in fence) only[tag] = fence[tag];
  return only;
}

/** Whether a tag of `fence` has another version in this instance's mirror now (a write here, or one heard of and read again). */
function knownOutdated(fence: Record<string, string> | undefined, tiers: TierSet): boolean {
  if (!fence || !tiers.versions) return false;
  for (const tag in fence) {
    const known = tiers.versions.get(tag);
    if (known !== undefined && known !== fence[tag]) return true;
  }
  return false;
}
