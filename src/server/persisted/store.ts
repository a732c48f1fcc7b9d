/**
 * The automatic persisted queries' store: query texts by the sha256 of the text. An LRU in
 * process, and with L2 Redis shared by every instance, so a query registered on one instance
 * is known to all. Both are bounded: entries live APQ_TTL_S, and at most APQ_MAX_ENTRIES are
 * kept (Redis keeps an index by registration time and drops the oldest past the bound), so a
 * client registering endless distinct queries cannot grow either without limit.
 *
 * The store trusts its caller: the hash is verified against the text before `set` (index.ts).
 */
import { LRUCache } from 'lru-cache';
import type { Result } from 'ioredis';
import type { L2 } from '../../cache/l2.js';

/** One hash slot for every APQ key (the `{apq}` hash tag), so the script below runs on Redis Cluster too. */
const KEY_PREFIX = 'strata:{apq}:q:';
const INDEX_KEY = 'strata:{apq}:index';
/** Bytes of query text the in-process LRU holds at most, whatever the entry bound. */
const LOCAL_MAX_BYTES = 32 * 1024 * 1024;

/**
 * Stores a text with its TTL, records it in the index, drops index entries whose keys have
 * expired, then the oldest entries past the bound. Atomic, so concurrent registrations on
 * several instances cannot leave the bound exceeded. The index lives as long as its newest
 * text: every key the gateway writes has a TTL.
 */
const REGISTER = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', tonumber(ARGV[3]) - tonumber(ARGV[2]))
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[5])
if over > 0 then
  local oldest = redis.call('ZPOPMIN', KEYS[2], over)
  for i = 1, #oldest, 2 do redis.call('DEL', ARGV[6] .. oldest[i]) end
end
return math.max(over, 0)`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    registerPersistedQuery(key: string, index: string, text: string, ttlMs: number, now: number, hash: string, maxEntries: number, prefix: string): Result<number, Context>;
  }
}

export interface PersistedQueryStoreOptions {
  ttlMs: number;
  maxEntries: number;
}

export class PersistedQueryStore {
  private readonly local: LRUCache<string, string>;

  constructor(
    private readonly options: PersistedQueryStoreOptions,
    private readonly l2?: L2,
  ) {
    this.local = new LRUCache<string, string>({
      max: options.maxEntries,
      maxSize: LOCAL_MAX_BYTES,
      sizeCalculation: (text, hash) => (text.length + hash.length) * 2,
      ttl: options.ttlMs,
    });
    l2?.redis.defineCommand('registerPersistedQuery', { numberOfKeys: 2, lua: REGISTER });
  }

  /** The text registered under `hash`; undefined when none is (or Redis cannot say). */
  async get(hash: string): Promise<string | undefined> {
    const local = this.local.get(hash);
    if (local !== undefined || !this.l2) return local;
    const shared = await this.l2.guard('apq.get', () => this.l2!.redis.get(KEY_PREFIX + hash));
    if (!shared) return undefined;
    this.local.set(hash, shared);
    return shared;
  }

  /** Registers `text` under `hash` (already verified to be its sha256). */
  async set(hash: string, text: string): Promise<void> {
    this.local.set(hash, text);
    if (!this.l2) return;
    const { ttlMs, maxEntries } = this.options;
    await this.l2.guard('apq.set', () =>
      this.l2!.redis.registerPersistedQuery(KEY_PREFIX + hash, INDEX_KEY, text, ttlMs, Date.now(), hash, maxEntries, KEY_PREFIX),
    );
  }
}
