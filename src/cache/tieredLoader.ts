/**
 * A DataLoader whose batch function reads the tiers in order — L1, then L2 (one round trip
 * shared with every other loader of the tick), then the source (one batched statement) —
 * and writes what the source found back to L2 (one pipeline per tick) and L1, with the TTL
 * the schema gives. Misses (ids with no row) are not cached. Keys another request is
 * already loading are waited for, not loaded again (single flight).
 */
import DataLoader from 'dataloader';
import { deserialize, serialize, type Entry } from './entry.js';
import type { L1 } from './l1.js';
import type { L2Batcher } from './l2.js';
import type { SingleFlight } from './singleFlight.js';
import type { WriteFence } from './writeFence.js';

/** Per request: what the tiers answered, for tests, `x-cache-debug` and metrics. */
export interface CacheStats {
  l1Hits: number;
  l2Hits: number;
  misses: number;
}

export interface TierSet {
  l1: L1 | undefined;
  l2: L2Batcher | undefined;
  /** Shared by every request of the instance: concurrent misses of one key load it once (none with CACHE=off). */
  singleFlight: SingleFlight | undefined;
  /** Shared by every request of the instance: no write-back of a key changed since its load began. */
  fence: WriteFence;
  stats: CacheStats;
  /** Called for every lookup outcome: a hit at a level, or a miss at a level (metrics). */
  observe(outcome: 'hit' | 'miss', level: 'l1' | 'l2', type: string, count: number): void;
  /** Called with the duration of each source batch (metrics). */
  observeSource(seconds: number): void;
}

export interface TieredLoaderSpec<K, V> {
  /** What is served, for metrics labels: a GraphQL type (`Movie`) or field (`Query.travelTime`). */
  type: string;
  /** The cache key of a load key (an id, or a field's arguments), from keys.ts. */
  key(k: K): string;
  /** How long a found value lives, from the schema's policy. */
  ttlMs: number;
  /** The source of truth: values in the order of `ks`, undefined where none exists. */
  load(ks: readonly K[]): Promise<Array<V | undefined>>;
}

export function createTieredLoader<K, V>(spec: TieredLoaderSpec<K, V>, tiers: TierSet): DataLoader<K, V | undefined, string> {
  // The cache key doubles as DataLoader's: arguments that build one key are one load.
  return new DataLoader<K, V | undefined, string>(async (ids) => {
    const keys = ids.map((id) => spec.key(id));
    const values: Array<V | undefined> = new Array(ids.length);
    let missing = readL1(spec, tiers, keys, values);
    if (missing.length > 0 && tiers.l2) missing = await readL2(spec, tiers, keys, values, missing);
    if (missing.length > 0) await readSource(spec, tiers, ids, keys, values, missing);
    return values;
  }, { cacheKeyFn: spec.key });
}

/** Fills what L1 holds; returns the positions it did not. */
function readL1<K, V>(spec: TieredLoaderSpec<K, V>, tiers: TierSet, keys: string[], values: Array<V | undefined>): number[] {
  if (!tiers.l1) return keys.map((_, i) => i);
  const missing: number[] = [];
  keys.forEach((key, i) => {
    const hit = tiers.l1!.get<V>(key);
    if (hit === undefined) missing.push(i);
    else values[i] = hit;
  });
  return counted(spec, tiers, 'l1', keys.length, missing);
}

/** Fills what L2 holds (and copies it to L1 with its remaining TTL); returns the positions still missing. */
async function readL2<K, V>(
  spec: TieredLoaderSpec<K, V>,
  tiers: TierSet,
  keys: string[],
  values: Array<V | undefined>,
  missing: number[],
): Promise<number[]> {
  const texts = await tiers.l2!.get(missing.map((i) => keys[i]));
  const still: number[] = [];
  missing.forEach((i, n) => {
    const entry = deserialize<V>(texts[n]);
    if (!entry) return void still.push(i);
    values[i] = entry.value;
    tiers.l1?.set(keys[i], entry, texts[n]!.length);
  });
  return counted(spec, tiers, 'l2', missing.length, still);
}

/** Records a level's hits and misses (request stats and metrics); returns the misses. */
function counted<K, V>(spec: TieredLoaderSpec<K, V>, tiers: TierSet, level: 'l1' | 'l2', asked: number, missing: number[]): number[] {
  const hits = asked - missing.length;
  if (level === 'l1') tiers.stats.l1Hits += hits;
  else tiers.stats.l2Hits += hits;
  tiers.observe('hit', level, spec.type, hits);
  tiers.observe('miss', level, spec.type, missing.length);
  return missing;
}

/** Loads the rest from the source (joining loads under way) and writes what it loaded back to both tiers. */
async function readSource<K, V>(
  spec: TieredLoaderSpec<K, V>,
  tiers: TierSet,
  ids: readonly K[],
  keys: string[],
  values: Array<V | undefined>,
  missing: number[],
): Promise<void> {
  tiers.stats.misses += missing.length;
  const missingKeys = missing.map((i) => keys[i]);
  // `own` indexes into `missing`: the positions no other request is loading already.
  const loadOwn = async (own: number[]) => {
    const ticket = tiers.fence.ticket();
    const started = process.hrtime.bigint();
    const loaded = await spec.load(own.map((n) => ids[missing[n]]));
    tiers.observeSource(Number(process.hrtime.bigint() - started) / 1e9);
    writeBack(spec, tiers, own.map((n) => keys[missing[n]]), loaded, ticket);
    return loaded;
  };
  const found = tiers.singleFlight
    ? await tiers.singleFlight.load(missingKeys, loadOwn)
    : await loadOwn(missing.map((_, n) => n));
  missing.forEach((i, n) => (values[i] = found[n]));
}

/**
 * Stores what the source found: L1 now, L2 with the tick's pipeline — except keys changed
 * since the load took `ticket`, whose value may be the row from before the write.
 */
function writeBack<K, V>(spec: TieredLoaderSpec<K, V>, tiers: TierSet, keys: string[], loaded: Array<V | undefined>, ticket: number): void {
  if (spec.ttlMs <= 0) return;
  const expiresAt = Date.now() + spec.ttlMs;
  loaded.forEach((value, n) => {
    if (value === undefined || tiers.fence.changedSince(keys[n], ticket)) return;
    const entry: Entry<V> = { value, expiresAt };
    const text = serialize(entry);
    tiers.l1?.set(keys[n], entry, text.length);
    tiers.l2?.set(keys[n], text, spec.ttlMs);
  });
}
