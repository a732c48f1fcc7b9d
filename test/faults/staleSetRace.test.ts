/**
 * Faults (issue 7, test 5): the stale-set race. A read misses and loads the old value; a
 * write changes it and invalidates; the read's write-back lands late. The write-back records
 * the versions its load began with (the fence), so what it stores is born invalid. Run on the
 * real tiers of an in-process gateway (L1, L2 on the test's own redis-server, the invalidator
 * a mutation runs) over a source the test controls:
 *
 * 1. forced in that order: the next read sees the new value; and the same entry stamped with
 *    the versions current when it is stored (the fence taken away) is read back stale, so the
 *    check can fail;
 * 2. 1,000 random interleavings of the read's steps and the write's (fast-check's scheduler):
 *    stale entries = 0.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startTestRedis, type TestRedis } from '../helpers/testRedis.js';
import { TieredLoader, loaderSpec, type TieredLoaderSpec } from '../../src/cache/tieredLoader.js';
import { serialize, type Entry } from '../../src/cache/entry.js';
import type { CacheObserver } from '../../src/cache/index.js';

let redis: TestRedis;
let gw: TestGateway;
before(async () => {
  redis = await startTestRedis();
  gw = await startTestGateway({ redisUrl: redis.url });
});
after(async () => {
  await gw?.stop();
  await redis?.stop();
});

const quiet: CacheObserver = { lookup: () => undefined, duration: () => undefined };
const cache = () => gw.gateway.services.cache;

/** The source of truth of one key: its value now, and a hook that runs while a load holds what it read. */
interface Source {
  value: string;
  /** Between reading the value and answering with it. */
  answering: () => Promise<void>;
}

/** A spec over `sources`, tagged as candidates are: the invalidator's CandidateUpdated reaches it. */
function specOver(sources: Map<number, Source>): TieredLoaderSpec<number, string> {
  return loaderSpec({
    type: 'StaleSetRace',
    key: (id: number) => `strata:test:stale-set:${id}`,
    tags: (id: number) => [`Candidate:${id}`],
    ttlMs: 60_000,
    load: async (ids: readonly number[]) =>
      Promise.all(
        ids.map(async (id) => {
          const source = sources.get(id)!;
          const read = source.value;
          await source.answering();
          return read;
        }),
      ),
  });
}

/** One request's read of `id` through every tier. */
const read = (spec: TieredLoaderSpec<number, string>, id: number) => Promise.resolve(new TieredLoader(spec, cache().tiersFor(quiet), {}).fetch(id));
/** A write: the new value in the source, then what a mutation runs after its commit. */
async function write(sources: Map<number, Source>, id: number, value: string): Promise<void> {
  sources.get(id)!.value = value;
  await gw.gateway.services.invalidator.invalidate([{ type: 'CandidateUpdated', candidateId: id }]);
}
/** Waits for the write-backs of the tick to reach Redis. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

test('forced: read-miss, write, invalidate, late write-back — the next read is the new value; without the fence it would be the old one', async () => {
  const sources = new Map<number, Source>();
  const spec = specOver(sources);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let loaded!: () => void;
  const sourceRead = new Promise<void>((resolve) => (loaded = resolve));
  sources.set(1, {
    value: 'old',
    answering: () => {
      loaded();
      return gate;
    },
  });
  const early = read(spec, 1); // misses, reads "old", waits at the gate
  await sourceRead;
  await write(sources, 1, 'new');
  release();
  assert.equal(await early, 'old', 'the early read loaded the old value');
  await settle();
  sources.get(1)!.answering = async () => undefined;
  assert.equal(await read(spec, 1), 'new', 'the late write-back is not served');

  // The fence taken away: the old value stored with the versions current when it is stored.
  const key = spec.key(1);
  const current = await redis.client.get(cache().keys.tagVersion('Candidate:1'));
  const unfenced: Entry<string> = { value: 'old', freshUntil: Date.now() + 60_000, staleUntil: Date.now() + 120_000, versions: { 'Candidate:1': current! } };
  cache().l1!.set(key, unfenced, serialize(unfenced).length);
  await redis.client.set(key, serialize(unfenced), 'PX', 120_000);
  assert.equal(await read(spec, 1), 'old', 'without the fence, the check sees a stale entry');
  cache().l1!.clear();
  await redis.client.del(key);
});

test('1,000 random interleavings of a read-miss and a write (fast-check scheduler): stale entries = 0', { timeout: 300_000 }, async () => {
  const sources = new Map<number, Source>();
  const spec = specOver(sources);
  let id = 1000;
  let stale = 0;
  await fc.assert(
    fc.asyncProperty(fc.scheduler(), fc.boolean(), async (s, warm) => {
      id++;
      const source: Source = { value: 'old', answering: () => s.schedule(Promise.resolve(), 'the source answers') };
      sources.set(id, source);
      if (warm) {
        // Sometimes the key is cached first: the read hits, or the write's invalidation makes it miss.
        source.answering = async () => undefined;
        await read(spec, id);
        await settle();
        source.answering = () => s.schedule(Promise.resolve(), 'the source answers');
      }
      const reading = s.schedule(Promise.resolve(), 'a read starts').then(() => read(spec, id));
      const writing = s.schedule(Promise.resolve(), 'the write commits').then(() => write(sources, id, 'new'));
      await s.waitFor(Promise.all([reading, writing]));
      await settle();
      source.answering = async () => undefined;
      const after = await read(spec, id);
      if (after !== 'new') stale++;
      assert.equal(after, 'new', `stale after ${s.report().map((r) => r.label).join(' → ')}`);
    }),
    { numRuns: 1000 },
  );
  console.log(`  1,000 interleavings: ${stale} stale entries`);
  assert.equal(stale, 0);
});
