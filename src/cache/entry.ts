/**
 * What the tiers store for one key: the value, until when it is fresh, until when it may
 * still be served stale (fresh + grace), and the version of each tag it was built from as of
 * before its load began. A tag whose version has moved since makes the entry invalid: never
 * served, not even stale.
 */
export interface Entry<T = unknown> {
  value: T;
  freshUntil: number;
  staleUntil: number;
  versions: Record<string, string>;
}

/** The stored form in Redis: JSON of the entry, so a value read from L2 keeps its remaining TTL in L1. */
export function serialize(entry: Entry): string {
  return JSON.stringify(entry);
}

/** The entry, or undefined when the text is not one (an older shape, a foreign key) or is past its grace. */
export function deserialize<T>(text: string | null | undefined, now = Date.now()): Entry<T> | undefined {
  if (text === null || text === undefined) return undefined;
  try {
    const entry = JSON.parse(text) as Entry<T>;
    return typeof entry?.staleUntil === 'number' && entry.staleUntil > now && typeof entry.versions === 'object' ? entry : undefined;
  } catch {
    return undefined;
  }
}

/** True when every tag of `entry` is at the version `current` gives (undefined: unknown, so not valid). */
export function isCurrent(entry: Entry, current: { get(tag: string): string | null | undefined }): boolean {
  for (const tag in entry.versions) if (current.get(tag) !== entry.versions[tag]) return false;
  return true;
}

/** Where an entry keeps the epoch it was last found current at: a symbol, so serialize() leaves it out. */
const CURRENT_AT = Symbol('currentAt');

/**
 * isCurrent, checked tag by tag once per epoch of `versions` (versions.ts: the epoch moves
 * whenever any version may have), and remembered on the entry in between: a hot entry is
 * usually judged by one comparison.
 */
export function stillCurrent(entry: Entry, versions: { get(tag: string): string | null | undefined; epoch(): number }): boolean {
  const epoch = versions.epoch();
  const checked = entry as Entry & { [CURRENT_AT]?: number };
  if (checked[CURRENT_AT] === epoch) return true;
  if (!isCurrent(entry, versions)) return false;
  checked[CURRENT_AT] = epoch;
  return true;
}
