/**
 * Faults (issue 7; found by the chaos soak on a cluster, test 24): an invalidation delivered
 * late, after a later write of the same entity. Two in-process gateways over one database and
 * the test's own redis-server, every tier on.
 *
 * A writes v2, and Redis does not take the new versions (in the soak, a master failing over:
 * the SET timed out after 1 s). Meanwhile A's own reads, finding no version in Redis (there,
 * the failing master did not answer; here, the key is gone, as eviction leaves it), build
 * entries of v2 recording the version A gave the write, and store them in L1 and L2. The write fails over to redelivery
 * (both instances withhold trust). B then writes v3, which Redis takes. Then Redis takes A's
 * redelivery. Were it A's first versions again, set after v3's, Redis would vouch once more
 * for the entries of v2: every later read would serve v2 (it did, on both instances, before
 * the redelivery took fresh versions). Counted: reads of anything but v3 afterwards (0).
 *
 * What makes Redis not take A's versions is injected in front of A's L2.setVersions: the
 * call waits, then fails, as a Redis that does not answer within the deadline; once let
 * through, it runs against the real Redis.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { dataOf, type TestGateway } from '../helpers/gateway.js';
import { candidateTitle as titleOn, startSharedInstances, type SharedInstances } from '../helpers/instances.js';
import { until } from '../helpers/until.js';

let shared: SharedInstances;
let a: TestGateway;
let b: TestGateway;
before(async () => {
  shared = await startSharedInstances(2, { BUS_HEARTBEAT_MS: '100' });
  [a, b] = shared.instances;
});
after(async () => {
  await shared?.stop();
});

const write = (gw: TestGateway, id: number, title: string) => gw.post(`mutation { updateCandidate(id: "${id}", input: { title: "${title}" }) { id } }`).then(dataOf);
const trusted = (gw: TestGateway) => gw.gateway.services.cache.versions!.trusted;

/** Makes `gw`'s version writes hang, then fail, until `letThrough`; `entered` resolves when the first one hangs. */
function unansweredVersionWrites(gw: TestGateway) {
  const l2 = gw.gateway.services.cache.l2!;
  const setVersions = l2.setVersions.bind(l2);
  let refusing = true;
  let hang!: () => void;
  const hanging = new Promise<void>((resolve) => (hang = resolve));
  let entered!: () => void;
  const first = new Promise<void>((resolve) => (entered = resolve));
  l2.setVersions = async (...args) => {
    if (!refusing) return setVersions(...args);
    entered();
    await hanging;
    throw new Error('injected: Redis did not answer setVersions');
  };
  return {
    entered: first,
    /** The hanging write fails, as at its deadline; later ones fail at once. */
    fail: () => hang(),
    letThrough: () => (refusing = false),
    remove: () => (l2.setVersions = setVersions),
  };
}

test('a redelivered invalidation lands after a later write of the same entity: no read serves the older value', { timeout: 60_000 }, async () => {
  let wrong = 0;
  for (let round = 0; round < 3; round++) {
    const id = 60 + round;
    const key = a.gateway.services.cache.keys.candidateProfile(id);
    await titleOn(a, id);
    await titleOn(b, id);
    await shared.redis.client.del(key, `strata:tag:Candidate:${id}`);
    const fault = unansweredVersionWrites(a);
    try {
      const v2 = write(a, id, `v2 of round ${round}`);
      await fault.entered;
      // While A's version write hangs, A's reads build v2's entries with the version A gave it.
      assert.equal(await titleOn(a, id), `v2 of round ${round}`);
      await until(async () => (await shared.redis.client.get(key))?.includes(`v2 of round ${round}`) ?? false, 'v2 is stored in L2');
      fault.fail();
      await v2;
      await until(() => !trusted(a) && !trusted(b), 'both instances withhold trust');
      await write(b, id, `v3 of round ${round}`);
      fault.letThrough();
      await until(() => trusted(a) && trusted(b), "A's redelivery is in and both instances trust versions again", 10_000);
    } finally {
      fault.remove();
    }
    for (let i = 0; i < 3; i++) for (const gw of [a, b]) if ((await titleOn(gw, id)) !== `v3 of round ${round}`) wrong++;
  }
  assert.equal(wrong, 0, 'v2 read after v3 was written');
});
