/**
 * Faults (issue 7, test 6, second half): writes v2 then v3, with a fill that read v2 delayed
 * until after v3's invalidation. Two in-process gateways over one database and the test's own
 * redis-server, every tier on (L1, L2, the response tier). The fill's statement runs for real
 * and reads v2; its answer is held back while v3 is written, then let through. Counted: reads
 * of anything but v3 afterwards, on either instance, from any tier (0), and entries of v2 in
 * Redis: none where the filling instance wrote v3 itself; where the other one did, at most one
 * born invalid (it records v2's version). (The entry v2's write stores from its own statement
 * is dropped first, so that the fill happens: test/invalidation/writtenValues covers that one.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { dataOf, type TestGateway } from '../helpers/gateway.js';
import { candidateTitle as titleOn, startSharedInstances, type SharedInstances } from '../helpers/instances.js';
import { holdFirstAnswer } from '../helpers/statements.js';

let shared: SharedInstances;
let a: TestGateway;
let b: TestGateway;
before(async () => {
  shared = await startSharedInstances(2);
  [a, b] = shared.instances;
});
after(async () => {
  await shared?.stop();
});

const write = (gw: TestGateway, id: number, title: string) => gw.post(`mutation { updateCandidate(id: "${id}", input: { title: "${title}" }) { id } }`).then(dataOf);

test('v2 then v3, the fill that read v2 delayed past v3: every later read is v3, on both instances, and Redis never holds v2 as current', async () => {
  let wrong = 0;
  for (let round = 0; round < 10; round++) {
    const id = 40 + round;
    await titleOn(a, id);
    await titleOn(b, id);
    await write(a, id, `v2 of round ${round}`);
    // The write stored v2 as its statement returned it (invalidate.ts): dropped, so that the
    // next read on A misses and fills; its statement reads v2 and is held.
    a.gateway.services.cache.l1!.clear();
    await shared.redis.client.del(a.gateway.services.cache.keys.candidateProfile(id));
    const held = holdFirstAnswer(a.gateway.services.db, 'FROM candidates WHERE id = ANY');
    let fill: Promise<string>;
    try {
      fill = titleOn(a, id);
      await held.read;
      await write(round % 2 ? a : b, id, `v3 of round ${round}`);
      held.release();
      assert.equal(await fill, `v2 of round ${round}`, 'the delayed fill read v2');
    } finally {
      held.remove();
    }
    await new Promise((resolve) => setTimeout(resolve, 30)); // any write-back of the fill has landed
    const stored = await shared.redis.client.get(a.gateway.services.cache.keys.candidateProfile(id));
    if (stored?.includes(`v2 of round ${round}`)) {
      // Stored only if the filling instance had not yet read v3's version (v3 written on the
      // other one), and then born invalid: it records the version v2 had.
      const current = await shared.redis.client.get(`strata:tag:Candidate:${id}`);
      if (round % 2 === 1 || JSON.parse(stored).versions[`Candidate:${id}`] === current) wrong++;
    }
    for (let i = 0; i < 3; i++) for (const gw of [a, b]) if ((await titleOn(gw, id)) !== `v3 of round ${round}`) wrong++;
  }
  assert.equal(wrong, 0, 'v2 read or stored after v3 was written');
});
