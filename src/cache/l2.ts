/**
 * L2: Redis. Every call is bounded (commandTimeout, no offline queue, one retry) and guarded
 * by a breaker: while Redis is failing, L2 reads are misses and writes are skipped, and the
 * request goes on from L1 and Postgres. `L2Batcher` is per request: what every loader asks
 * in one tick goes to Redis as one MGET, and what they found as one pipeline of SET … PX.
 */
import { Redis } from 'ioredis';
import { logger } from '../log.js';

const log = logger('cache.l2');

export interface L2Options {
  url: string;
  commandTimeoutMs: number;
  /** After this many consecutive failures, L2 is skipped for `breakerOpenMs`. */
  breakerThreshold: number;
  breakerOpenMs: number;
}

export class L2 {
  readonly redis: Redis;
  private failures = 0;
  private openUntil = 0;

  constructor(private readonly options: L2Options) {
    this.redis = new Redis(options.url, {
      commandTimeout: options.commandTimeoutMs,
      connectTimeout: Math.max(500, options.commandTimeoutMs * 10),
      maxRetriesPerRequest: 1,
      // Commands sent while disconnected fail at once instead of queueing without bound.
      enableOfflineQueue: false,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    this.redis.on('error', (err) => log.debug('redis connection error', { err }));
  }

  /** Values of `keys` in one round trip; all misses when Redis fails or the breaker is open. */
  async mget(keys: readonly string[]): Promise<Array<string | null>> {
    if (keys.length === 0) return [];
    return (await this.guard('mget', () => this.redis.mget(...keys))) ?? keys.map(() => null);
  }

  /** Sets each entry with its TTL in one pipeline; skipped (and logged) when Redis fails. */
  async write(entries: ReadonlyArray<{ key: string; text: string; ttlMs: number }>): Promise<void> {
    if (entries.length === 0) return;
    await this.guard('write', async () => {
      const pipeline = this.redis.pipeline();
      for (const e of entries) pipeline.set(e.key, e.text, 'PX', Math.max(1, Math.round(e.ttlMs)));
      const results = await pipeline.exec();
      const failed = results?.find(([err]) => err);
      if (failed) throw failed[0];
    });
  }

  /**
   * Deletes keys. Unlike reads, a failed delete is an error for the caller: a mutation must
   * not answer as if the old value were gone when it is still in Redis.
   */
  async del(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.redis.del(...keys);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  /** Runs `op` unless the breaker is open; a failure counts toward opening it and yields undefined. */
  private async guard<T>(op: string, work: () => Promise<T>): Promise<T | undefined> {
    if (Date.now() < this.openUntil) return undefined;
    try {
      const result = await work();
      this.failures = 0;
      return result;
    } catch (err) {
      if (++this.failures >= this.options.breakerThreshold) {
        this.openUntil = Date.now() + this.options.breakerOpenMs;
        log.warn('L2 failing; skipping Redis for a while (circuit open)', { op, failures: this.failures, openMs: this.options.breakerOpenMs, err });
      } else {
        log.warn('L2 call failed; treating as miss', { op, err });
      }
      return undefined;
    }
  }
}

/** Per request: coalesces the tick's reads into one MGET and its write-backs into one pipeline. */
export class L2Batcher {
  roundTrips = 0;
  private pendingReads: Array<{ keys: readonly string[]; resolve: (values: Array<string | null>) => void }> = [];
  private pendingWrites: Array<{ key: string; text: string; ttlMs: number }> = [];
  private writing: Promise<void> = Promise.resolve();

  /** `onRoundTrip` hears each round trip's duration (metrics). */
  constructor(
    private readonly l2: L2,
    private readonly onRoundTrip: (seconds: number) => void = () => undefined,
  ) {}

  /** Resolves with the values of `keys` once this tick's reads of every loader have gone out together. */
  get(keys: readonly string[]): Promise<Array<string | null>> {
    return new Promise((resolve) => {
      // setImmediate runs after every loader's batch of this tick (DataLoader dispatches on nextTick).
      if (this.pendingReads.length === 0) setImmediate(() => this.flushReads());
      this.pendingReads.push({ keys, resolve });
    });
  }

  /**
   * Queues a write-back; the tick's write-backs go out as one pipeline, after the response
   * if need be (a write-back never adds latency). Counted as a round trip when scheduled.
   */
  set(key: string, text: string, ttlMs: number): void {
    if (this.pendingWrites.length === 0) {
      this.roundTrips++;
      setImmediate(() => this.flushWrites());
    }
    this.pendingWrites.push({ key, text, ttlMs });
  }

  /** Resolves when every queued write-back has been sent (tests, and the end of a request). */
  async settled(): Promise<void> {
    await new Promise((r) => setImmediate(r));
    await this.writing;
  }

  private async flushReads(): Promise<void> {
    const reads = this.pendingReads;
    this.pendingReads = [];
    const keys = [...new Set(reads.flatMap((r) => r.keys))];
    this.roundTrips++;
    const started = process.hrtime.bigint();
    const values = await this.l2.mget(keys);
    this.onRoundTrip(Number(process.hrtime.bigint() - started) / 1e9);
    const byKey = new Map(keys.map((k, i) => [k, values[i]]));
    for (const read of reads) read.resolve(read.keys.map((k) => byKey.get(k) ?? null));
  }

  private flushWrites(): void {
    const writes = this.pendingWrites;
    this.pendingWrites = [];
    this.writing = this.writing.then(async () => {
      const started = process.hrtime.bigint();
      await this.l2.write(writes);
      this.onRoundTrip(Number(process.hrtime.bigint() - started) / 1e9);
    });
  }
}
