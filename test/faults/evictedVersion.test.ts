/**
 * Faults: a write whose new version Redis evicted while a load on another instance was under
 * way. Under memory pressure (`allkeys-lru`) Redis evicts tag versions like any key; a load
 * that found a tag unversioned gives it a first version. Were that version set after the load
 * (with the entry it stored), a load that read the source before another instance's write
 * would set it after the write's version was gone, and Redis would vouch for the old value on
 * every instance from then on. The chaos soak on a cluster, under eviction pressure, saw one
 * such read once.
 *
 * Two in-process instances over the test's own redis-server (or cluster, in npm test's cluster
 * pass, where the soak saw it); the load is a spec over a source
 * the test controls (as in staleSetRace.test.ts), tagged as candidates are, so instance B's
 * CandidateUpdated reaches it through Redis and the bus. Eviction is a DEL of the keys Redis
 * would have evicted.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSharedInstances, type SharedInstances } from '../helpers/instances.js';
import { until } from '../helpers/until.js';
import { TieredLoader, loaderSpec, type TieredLoaderSpec } from '../../src/cache/tieredLoader.js';
import type { CacheObserver } from '../../src/cache/index.js';
import type { TestGateway } from '../helpers/gateway.js';

let shared: SharedInstances;
before(async () => {
  shared = await startSharedInstances(2);
});
after(async () => {
  await shared?.stop();
});

const quiet: CacheObserver = { lookup: () => undefined, duration: () => undefined };
const ID = 77;
const TAG = `Candidate:${ID}`;

/** The source of truth of the key: its value now, and a hook that runs while a load holds what it read. */
const source = { value: 'old', answering: async () => undefined as void };

const spec: TieredLoaderSpec<number, string> = loaderSpec({
  type: 'EvictedVersion',
  key: (id: number) => `strata:test:evicted-version:${id}`,
  tags: (id: number) => [`Candidate:${id}`],
  ttlMs: 60_000,
  load: async (ids: readonly number[]) => {
    const read = source.value;
    await source.answering();
    return ids.map(() => read);
  },
});

const cacheOf = (gw: TestGateway) => gw.gateway.services.cache;
/** One request's read of the key through every tier of `gw`, its write-back sent. */
async function read(gw: TestGateway): Promise<string | undefined> {
  const tiers = cacheOf(gw).tiersFor(quiet);
  const value = await new TieredLoader(spec, tiers, {}).fetch(ID);
  await tiers.l2?.settled();
  return value;
}
/** What eviction pressure does to the key: its entry and its tag's version gone from Redis. */
async function evict(...what: Array<'entry' | 'version'>): Promise<void> {
  const keys = what.map((w) => (w === 'entry' ? spec.key(ID) : cacheOf(shared.instances[0]).keys.tagVersion(TAG)));
  for (const key of keys) await shared.redis.client.del(key); // one by one: on a cluster, each in its slot
}

test('a load that read the source before another instance\'s write, whose version Redis then evicted, never makes Redis vouch for what it read', async () => {
  const [a, b] = shared.instances;
  assert.equal(await read(a), 'old');
  assert.ok(cacheOf(a).versions!.get(TAG), 'A knows the tag\'s version');

  // Everything of the key evicted: A's next read loads, with the tag unversioned in Redis.
  cacheOf(a).l1!.clear();
  await evict('entry', 'version');
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let sourceRead!: () => void;
  const readTheSource = new Promise<void>((resolve) => (sourceRead = resolve));
  source.answering = () => {
    sourceRead();
    return gate;
  };
  const early = read(a); // reads "old", then waits at the gate
  await readTheSource;
  source.answering = async () => undefined;

  // B's write: the new value, a new version in Redis, the bus message to A.
  source.value = 'new';
  await b.gateway.services.invalidator.invalidate([{ type: 'CandidateUpdated', candidateId: ID }]);
  const written = await shared.redis.client.get(cacheOf(a).keys.tagVersion(TAG));
  assert.ok(written, 'B versioned the tag in Redis');
  await until(() => cacheOf(a).versions!.get(TAG) === undefined, 'A heard of the write');
  // Eviction pressure takes the write's version before A's load is done.
  await evict('version');

  release();
  assert.equal(await early, 'old', 'the early read began before the write');
  // Every read from now on began after the write was acknowledged.
  assert.equal(await read(a), 'new', 'A: what its early load stored is not served');
  assert.equal(await read(b), 'new', 'B: nor through Redis');
  cacheOf(a).l1!.clear();
  assert.equal(await read(a), 'new', 'A, from Redis');
});
