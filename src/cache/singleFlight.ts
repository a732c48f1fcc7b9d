/**
 * One source load per key per instance: a request that misses a key another request is
 * already loading waits for that load instead of starting its own. Callers key loads by
 * cache key and tag versions, so a request that starts after a write never joins a load
 * that began before it. (Across instances: the Redis lock in tieredLoader.)
 */
export class SingleFlight {
  private readonly inFlight = new Map<string, Promise<unknown>>();

  get size(): number {
    return this.inFlight.size;
  }

  /**
   * Values for `keys`: joined from loads under way, and for the rest from one call of
   * `loadOwn(positions)`, whose results are shared with anyone who asks meanwhile. A failed
   * load fails every waiter and is not kept.
   */
  async load<V>(keys: readonly string[], loadOwn: (positions: number[]) => Promise<Array<V | undefined>>): Promise<Array<V | undefined>> {
    const pending: Array<Promise<V | undefined>> = new Array(keys.length);
    const own: number[] = [];
    keys.forEach((key, i) => {
      const running = this.inFlight.get(key) as Promise<V | undefined> | undefined;
      if (running) pending[i] = running;
      else own.push(i);
    });
    if (own.length > 0) {
      const batch = loadOwn(own);
      own.forEach((i, n) => {
        const value = batch.then((values) => values[n]);
        pending[i] = value;
        this.track(keys[i], value);
      });
    }
    return Promise.all(pending);
  }

  /**
   * Takes `value` as the load of `key` under way, unless one is: a write whose statement
   * returned the value (invalidate.ts) lets the reads that miss it meanwhile wait for it
   * instead of loading it again.
   */
  offer(key: string, value: Promise<unknown>): void {
    if (!this.inFlight.has(key)) this.track(key, value);
  }

  /** `value` as the load of `key` under way until it settles (unless a newer one took the key); never an unhandled rejection. */
  private track(key: string, value: Promise<unknown>): void {
    this.inFlight.set(key, value);
    const forget = () => {
      if (this.inFlight.get(key) === value) this.inFlight.delete(key);
    };
    value.then(forget, forget);
  }
}
