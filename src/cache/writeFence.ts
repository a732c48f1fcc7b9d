/**
 * Guards write-back against the race where a load reads a row, a write and its
 * invalidation happen, and the load then stores the old row: every invalidation of a key is
 * numbered, every load takes a ticket when it starts, and a write-back is skipped for keys
 * invalidated after the ticket. This instance only; across instances, issue 4.
 */
export class WriteFence {
  private sequence = 0;
  private readonly invalidated = new Map<string, { at: number; time: number }>();

  constructor(
    /** Loads never run longer than this (the query timeout): older marks can go. */
    private readonly maxLoadMs: number,
  ) {}

  /** A ticket for a load starting now. */
  ticket(): number {
    return this.sequence;
  }

  /** Marks `keys` as changed: loads that started before now must not store them. */
  invalidate(keys: readonly string[]): void {
    this.sequence++;
    const time = Date.now();
    for (const key of keys) this.invalidated.set(key, { at: this.sequence, time });
    if (this.invalidated.size > 10_000) this.prune(time);
  }

  /** True when `key` was invalidated after a load took `ticket`. */
  changedSince(key: string, ticket: number): boolean {
    const mark = this.invalidated.get(key);
    return mark !== undefined && mark.at > ticket;
  }

  private prune(now: number): void {
    for (const [key, mark] of this.invalidated) if (now - mark.time > this.maxLoadMs * 2) this.invalidated.delete(key);
  }
}
