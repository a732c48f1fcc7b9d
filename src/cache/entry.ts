/** What the tiers store for one key: the value and when it stops being fresh (absolute, ms). */
export interface Entry<T = unknown> {
  value: T;
  expiresAt: number;
}

/** The stored form in Redis: JSON of the entry, so a value read from L2 keeps its remaining TTL in L1. */
export function serialize(entry: Entry): string {
  return JSON.stringify(entry);
}

/** The entry, or undefined when the text is not one (an older shape, a foreign key) or has expired. */
export function deserialize<T>(text: string | null, now = Date.now()): Entry<T> | undefined {
  if (text === null) return undefined;
  try {
    const entry = JSON.parse(text) as Entry<T>;
    return typeof entry?.expiresAt === 'number' && entry.expiresAt > now ? entry : undefined;
  } catch {
    return undefined;
  }
}
