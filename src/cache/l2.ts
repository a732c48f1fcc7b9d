/**
 * L2: Redis, one or a cluster. Every call is bounded (a deadline of REDIS_COMMAND_TIMEOUT_MS,
 * no offline queue, one retry) and guarded by a breaker: while Redis is failing, L2 reads are
 * misses and writes are skipped, and the request goes on from L1 and Postgres. `L2Batcher` is
 * per request: what every loader asks in one tick goes to Redis as one MGET, and what they
 * found as one pipeline of SET … PX (on a cluster: one pipeline per node, l2RoundTrip.ts).
 */
import type { Cluster, Redis } from 'ioredis';
import { connectRedis, type RedisClient, type RedisTarget } from '../redis/connect.js';
import { ClusterReplicas } from '../redis/clusterReplicas.js';
import { defineScripts, RoundTrip } from './l2RoundTrip.js';
import { logger } from '../log.js';
import { INVALIDATION_DEADLINE_MS, withDeadline } from './deadline.js';

const log = logger('cache.l2');

/**
 * On a cluster, how long a replica may take to confirm a write's new tag versions (WAIT):
 * sub-millisecond on a healthy link; past this the write counts as failed and is sent again.
 */
const REPLICA_CONFIRM_MS = 300;

export interface L2Options {
  target: RedisTarget;
  commandTimeoutMs: number;
  /** After this many consecutive failures, L2 is skipped for `breakerOpenMs`. */
  breakerThreshold: number;
  breakerOpenMs: number;
  /** Tag versions outlive every entry that records them. */
  versionTtlMs: number;
}

/** A tag's new version, under its Redis key; `expected`: the version it should replace (setVersions). */
export interface VersionWrite {
  key: string;
  version: string;
  expected?: string;
}

export interface RedisStats {
  usedBytes: number;
  maxBytes: number;
  evictedKeys: number;
  /** Cluster nodes flagged fail or fail? (0 on one Redis). */
  nodesFailing: number;
}

export interface WriteBatch {
  entries: Array<{ key: string; text: string; ttlMs: number }>;
  releases: Array<{ key: string; token: string }>;
}

export class L2 {
  readonly redis: RedisClient;
  private failures = 0;
  private openUntil = 0;
  /** Times the breaker opened since start. */
  breakerOpenings = 0;
  /** On a cluster: which masters' replicas confirm a write's versions (setVersions). */
  private readonly replicas: ClusterReplicas | undefined;

  constructor(private readonly options: L2Options) {
    this.redis = connectRedis(options.target, {
      connectionName: `strata-l2-${process.pid}`,
      // The deadline that counts is withDeadline's; this one only frees commands Redis never answers.
      commandTimeout: Math.max(1000, options.commandTimeoutMs * 20),
      connectTimeout: Math.max(500, options.commandTimeoutMs * 10),
      maxRetriesPerRequest: 1,
      // Commands sent while disconnected fail at once instead of queueing without bound.
      enableOfflineQueue: false,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    this.redis.on('error', (err) => log.debug('redis connection error', { err }));
    defineScripts(this.redis);
    if (this.redis.isCluster) this.replicas = new ClusterReplicas(this.redis as Cluster);
  }

  /** Values of `keys` in one round trip; all misses when Redis fails or the breaker is open. */
  async mget(keys: readonly string[]): Promise<Array<string | null>> {
    if (keys.length === 0) return [];
    const read = async () =>
      this.redis.isCluster ? ((await new RoundTrip(this.redis).mget(keys).execOrThrow())[0] as Array<string | null>) : this.redis.mget(...keys);
    return (await this.guard('mget', read)) ?? keys.map(() => null);
  }

  /**
   * One pipeline: the entries, then the releases of the locks held while computing them.
   * Skipped (and logged) when Redis fails.
   */
  async write(batch: WriteBatch): Promise<void> {
    if (batch.entries.length + batch.releases.length === 0) return;
    await this.guard('write', () => {
      const trip = new RoundTrip(this.redis);
      for (const e of batch.entries) trip.set(e.key, e.text, e.ttlMs);
      for (const r of batch.releases) trip.releaseLock(r.key, r.token);
      return trip.execOrThrow();
    });
  }

  /**
   * One round trip: sets each version key Redis has none of (`SET NX`: ours, unless another
   * instance's came first), then reads them all as they now stand. Undefined when Redis fails.
   */
  async firstVersions(versions: ReadonlyArray<{ key: string; version: string }>): Promise<Array<string | null> | undefined> {
    return this.guard('firstVersions', async () => {
      const trip = new RoundTrip(this.redis);
      for (const v of versions) trip.set(v.key, v.version, this.options.versionTtlMs, true);
      trip.mget(versions.map((v) => v.key));
      const replies = await trip.execOrThrow();
      return replies[replies.length - 1] as Array<string | null>;
    });
  }

  /**
   * One round trip: takes each lock no one holds (`SET NX PX`; true where taken), then reads
   * `keys` (`MGET`: the entries, to find one that landed since the caller looked, and the
   * tags' versions as they now stand). When Redis fails, every lock counts as taken (an
   * instance that cannot see the others computes alone) and nothing is read.
   */
  async lock(lockKeys: readonly string[], token: string, ttlMs: number, keys: readonly string[]): Promise<{ taken: boolean[]; values: Array<string | null> }> {
    const settled = await this.guard('lock', async () => {
      const trip = new RoundTrip(this.redis);
      for (const key of lockKeys) trip.set(key, token, ttlMs, true);
      trip.mget(keys);
      const replies = await trip.execOrThrow();
      return { taken: lockKeys.map((_, i) => replies[i] === 'OK'), values: replies[replies.length - 1] as Array<string | null> };
    });
    return settled ?? { taken: lockKeys.map(() => true), values: keys.map(() => null) };
  }

  /** Releases locks still held by `token` (a lock that expired and was taken by another stays). */
  async release(keys: readonly string[], token: string): Promise<void> {
    if (keys.length === 0) return;
    await this.guard('release', () => {
      const trip = new RoundTrip(this.redis);
      for (const key of keys) trip.releaseLock(key, token);
      return trip.exec();
    });
  }

  /**
   * Gives tags new versions (a write), and then publishes `announce` (the bus message telling
   * other instances), so an instance that hears the message reads the new versions: on one
   * Redis in the same round trip (Redis runs a connection's commands in order), on a cluster
   * once every node has taken its versions and a replica of each has them too (a failover
   * must not bring the old ones back: RoundTrip.confirmReplicated). Unlike reads, a failure
   * is the caller's error: the old versions would keep entries built before the write valid
   * for every instance. Resolves once the message is in the other instances' sockets
   * (`delivered`).
   *
   * A version given `expected` replaces its tag's in the same command (SET … GET), and the
   * keys whose replaced version was the expected one are returned: no other write gave those
   * tags a version in between (what a write's own value needs to be stored, invalidate.ts).
   */
  async setVersions(versions: ReadonlyArray<VersionWrite>, announce?: { channel: string; text(): string }): Promise<Set<string>> {
    const unchanged = new Set<string>();
    if (versions.length === 0 && !announce) return unchanged;
    const send = async () => {
      let trip = new RoundTrip(this.redis);
      if (this.replicas) trip.confirmReplicated({ replicas: this.replicas, timeoutMs: REPLICA_CONFIRM_MS });
      for (const v of versions) {
        if (v.expected === undefined) trip.set(v.key, v.version, this.options.versionTtlMs);
        else trip.swap(v.key, v.version, this.options.versionTtlMs);
      }
      let replies: unknown[] = [];
      if (announce && this.redis.isCluster && trip.length > 0) {
        replies = await trip.execOrThrow();
        trip = new RoundTrip(this.redis);
      }
      if (announce) trip.publish(announce.channel, announce.text());
      const sent = await trip.execOrThrow();
      if (replies.length === 0) replies = sent;
      versions.forEach((v, i) => v.expected !== undefined && replies[i] === v.expected && unchanged.add(v.key));
      if (announce) await this.delivered(announce.channel);
    };
    await withDeadline(send(), Math.max(this.options.commandTimeoutMs, INVALIDATION_DEADLINE_MS), 'setVersions');
    return unchanged;
  }

  /**
   * Redis's memory as INFO tells it (on a cluster, summed over the masters): bytes used, the
   * `maxmemory` bound (0: none), keys evicted since it started; and on a cluster, the nodes it
   * flags as failing (CLUSTER NODES). Undefined when Redis does not answer within the deadline;
   * this never counts toward the breaker.
   */
  async stats(): Promise<RedisStats | undefined> {
    const cluster = this.redis.isCluster ? (this.redis as Cluster) : undefined;
    const nodes: Redis[] = cluster ? cluster.nodes('master') : [this.redis as Redis];
    try {
      // Two sections, not all of INFO: used_memory and maxmemory, and evicted_keys.
      const info = (node: Redis) => node.call('INFO', 'memory', 'stats') as Promise<string>;
      const read = Promise.all([Promise.all(nodes.map(info)), cluster ? (cluster.cluster('NODES') as Promise<string>) : Promise.resolve('')]);
      const [infos, clusterNodes] = await withDeadline(read, Math.max(this.options.commandTimeoutMs, 1000), 'info');
      const field = (info: string, name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
      const sum = (name: string) => infos.reduce((total, info) => total + field(info, name), 0);
      // A line per node: id, address, flags (myself,master,fail?…), …
      const nodesFailing = clusterNodes.split('\n').filter((line) => /\bfail\??\b/.test(line.split(' ')[2] ?? '')).length;
      return { usedBytes: sum('used_memory'), maxBytes: sum('maxmemory'), evictedKeys: sum('evicted_keys'), nodesFailing };
    } catch {
      return undefined;
    }
  }

  /**
   * Whether the connection (on a cluster: to the cluster) is up now. On one Redis, not once its
   * socket has stopped writing: ioredis says `ready` until the socket has closed, a moment after
   * Redis's end of it was read (Redis killed), and fails commands meanwhile as if it were up.
   */
  get ready(): boolean {
    if (this.redis.status !== 'ready') return false;
    return this.redis.isCluster || (this.redis as Redis).stream.writable;
  }

  /** A bus message on its own (a heartbeat), within REDIS_COMMAND_TIMEOUT_MS; resolves once delivered (see `delivered`). */
  publish(channel: string, text: string): Promise<unknown> {
    const send = async () => {
      await new RoundTrip(this.redis).publish(channel, text).execOrThrow();
      await this.delivered(channel);
    };
    return withDeadline(send(), this.options.commandTimeoutMs, 'publish');
  }

  /**
   * Resolves once the node that took a message on `channel` has written it to its
   * subscribers' sockets: an instance that hears of what follows (a mutation's answer) then
   * has the message to read. Redis does not promise that of the publisher's answer: it writes
   * the replies of one loop turn last-queued first, so a PUBLISH sent alone is answered before
   * its subscribers are written to, the first subscribed last (test/invalidation/busDelivery:
   * with 2,000 other subscribers, every time). On a cluster, where SPUBLISH goes alone after
   * the versions' round trip, a client told of a write could ask another instance before that
   * instance's socket held the message: the chaos soak saw it about once in 30,000 writes.
   * (On one Redis, the SETs before the PUBLISH in its pipeline had queued the answer first: an
   * accident of that order.) A command sent once the answer is in is read in a later turn,
   * after every write of the earlier one. (A subscriber so far behind that its socket's buffer
   * is full gets the rest later still; it is that far behind in reading requests too.)
   */
  private async delivered(channel: string): Promise<void> {
    await new RoundTrip(this.redis).exists(channel).execOrThrow();
  }

  /**
   * Resolves once connected, or after `timeoutMs` either way: a gateway starting while Redis
   * is away serves from L1 and Postgres, and L2 joins when Redis does.
   */
  async connected(timeoutMs: number): Promise<boolean> {
    if (this.redis.status === 'ready') return true;
    return new Promise((resolve) => {
      const done = (ready: boolean) => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        resolve(ready);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.redis.once('ready', onReady);
    });
  }

  async close(): Promise<void> {
    this.replicas?.close();
    this.redis.disconnect();
  }

  /** Whether L2 is being skipped now, after consecutive failures. */
  get breakerOpen(): boolean {
    return Date.now() < this.openUntil;
  }

  /**
   * Runs `op` unless the breaker is open; a failure counts toward opening it and yields
   * undefined. Public for the other users of this connection (the persisted-query store).
   */
  async guard<T>(op: string, work: () => Promise<T>): Promise<T | undefined> {
    if (Date.now() < this.openUntil) return undefined;
    try {
      const result = await withDeadline(work(), this.options.commandTimeoutMs, op);
      this.failures = 0;
      return result;
    } catch (err) {
      if (++this.failures >= this.options.breakerThreshold) {
        this.openUntil = Date.now() + this.options.breakerOpenMs;
        this.breakerOpenings++;
        log.warn('L2 failing; skipping Redis for a while (circuit open)', { op, failures: this.failures, openMs: this.options.breakerOpenMs, err });
      } else {
        log.warn('L2 call failed; treating as miss', { op, err });
      }
      return undefined;
    }
  }
}

/** What one read of L2 found: entry texts in the order asked, and the current version of each tag asked. */
export interface L2Read {
  texts: Array<string | null>;
  versions: Map<string, string | null>;
}

/**
 * Per request: coalesces the tick's reads of every loader — their entries and the versions
 * of the tags those entries record — into one MGET, and its write-backs into one pipeline.
 */
export class L2Batcher {
  roundTrips = 0;
  private pendingReads: Array<{ keys: readonly string[]; tags: readonly string[]; resolve: (read: L2Read) => void }> = [];
  private pendingReserves: Array<{ first: ReadonlyMap<string, string>; resolve: (versions: Map<string, string | null> | undefined) => void }> = [];
  private pending: WriteBatch = emptyBatch();
  private writing: Promise<void> = Promise.resolve();

  /** `onRoundTrip` hears each round trip's duration (metrics). */
  constructor(
    private readonly l2: L2,
    private readonly versionKey: (tag: string) => string,
    private readonly onRoundTrip: (seconds: number) => void = () => undefined,
  ) {}

  /** Resolves with `keys`' entries and `tags`' versions once this tick's reads of every loader have gone out together. */
  get(keys: readonly string[], tags: readonly string[]): Promise<L2Read> {
    return new Promise((resolve) => {
      // setImmediate runs after every loader's batch of this tick (DataLoader dispatches on nextTick).
      if (this.pendingReads.length === 0) setImmediate(() => this.flushReads());
      this.pendingReads.push({ keys, tags, resolve });
    });
  }

  /** Reads now, alone (a waiter polling for another instance's result), with the lock of each key. */
  async peek(keys: readonly string[], tags: readonly string[], lockKeys: readonly string[]): Promise<L2Read & { locked: boolean[] }> {
    const values = await this.timed(() => this.l2.mget([...keys, ...tags.map(this.versionKey), ...lockKeys]));
    const versions = new Map(tags.map((tag, i) => [tag, values[keys.length + i]]));
    const locked = lockKeys.map((_, i) => values[keys.length + tags.length + i] !== null);
    return { texts: values.slice(0, keys.length), versions, locked };
  }

  /**
   * Gives tags Redis had no version of their first ones, `first` (tag → a new version), unless
   * another instance's came first; resolves with the version each has in Redis after that, or
   * undefined when Redis failed. The tick's calls of every loader go out as one round trip.
   */
  reserve(first: ReadonlyMap<string, string>): Promise<Map<string, string | null> | undefined> {
    return new Promise((resolve) => {
      if (this.pendingReserves.length === 0) setImmediate(() => void this.flushReserves());
      this.pendingReserves.push({ first, resolve });
    });
  }

  /** Takes the locks of `lockKeys` and reads the entries `keys` with the versions of `tags` as they stand after that (see L2.lock). */
  async lock(lockKeys: readonly string[], token: string, ttlMs: number, keys: readonly string[], tags: readonly string[]): Promise<{ taken: boolean[] } & L2Read> {
    const { taken, values } = await this.timed(() => this.l2.lock(lockKeys, token, ttlMs, [...keys, ...tags.map(this.versionKey)]));
    return { taken, texts: values.slice(0, keys.length), versions: new Map(tags.map((tag, i) => [tag, values[keys.length + i]])) };
  }

  /** Releases locks at once (a computation that failed). */
  release(keys: readonly string[], token: string): Promise<void> {
    return this.timed(() => this.l2.release(keys, token));
  }

  /**
   * Queues a write-back; the tick's write-backs go out as one pipeline, after the response
   * if need be (a write-back never adds latency). Counted as a round trip when scheduled.
   */
  set(key: string, text: string, ttlMs: number): void {
    this.queue().entries.push({ key, text, ttlMs });
  }

  /** Queues a lock release after the entries the lock was held for. */
  releaseAfterWrite(key: string, token: string): void {
    this.queue().releases.push({ key, token });
  }

  /** Resolves when every queued write-back has been sent (tests, and the end of a request). */
  async settled(): Promise<void> {
    await new Promise((r) => setImmediate(r));
    await this.writing;
  }

  private queue(): WriteBatch {
    const batch = this.pending;
    if (batch.entries.length + batch.releases.length === 0) {
      this.roundTrips++;
      setImmediate(() => this.flushWrites());
    }
    return batch;
  }

  private async flushReads(): Promise<void> {
    const reads = this.pendingReads;
    this.pendingReads = [];
    const keys = [...new Set(reads.flatMap((r) => r.keys))];
    const tags = [...new Set(reads.flatMap((r) => r.tags))];
    const values = await this.timed(() => this.l2.mget([...keys, ...tags.map(this.versionKey)]));
    const byKey = new Map(keys.map((k, i) => [k, values[i]]));
    const versions = new Map(tags.map((tag, i) => [tag, values[keys.length + i]]));
    for (const read of reads) read.resolve({ texts: read.keys.map((k) => byKey.get(k) ?? null), versions });
  }

  private async flushReserves(): Promise<void> {
    const reserves = this.pendingReserves;
    this.pendingReserves = [];
    // Two loaders may each have picked a first version for one tag: the first picked is sent.
    const first = new Map<string, string>();
    for (const reserve of reserves) for (const [tag, version] of reserve.first) if (!first.has(tag)) first.set(tag, version);
    const tags = [...first.keys()];
    const values = await this.timed(() => this.l2.firstVersions(tags.map((tag) => ({ key: this.versionKey(tag), version: first.get(tag)! }))));
    const versions = values && new Map(tags.map((tag, i) => [tag, values[i]]));
    for (const reserve of reserves) reserve.resolve(versions);
  }

  private flushWrites(): void {
    const batch = this.pending;
    this.pending = emptyBatch();
    this.writing = this.writing.then(() => this.timed(() => this.l2.write(batch), false));
  }

  /** Runs one round trip, counting it (unless counted when scheduled) and reporting its duration. */
  private async timed<T>(trip: () => Promise<T>, count = true): Promise<T> {
    if (count) this.roundTrips++;
    const started = process.hrtime.bigint();
    try {
      return await trip();
    } finally {
      this.onRoundTrip(Number(process.hrtime.bigint() - started) / 1e9);
    }
  }
}

function emptyBatch(): WriteBatch {
  return { entries: [], releases: [] };
}
