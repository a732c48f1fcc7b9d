/**
 * Faults (issue 7, test 15): the LISTEN connection killed. Two in-process gateways over one
 * database and the test's own redis-server; one of them reads the change outbox on a
 * connection of its own (the advisory lock's holder). The test terminates that backend, then
 * updates a row behind the gateway's back, as psql would: its notification has no listener. Counted, per round: read-backs on both instances that are
 * still stale later than the stated bound (pgListen.ts: OUTBOX_POLL_MS for a missed
 * notification, plus OUTBOX_POLL_MS for another try at the lock) after the commit (0).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { candidateTitle as titleOn, startSharedInstances, type SharedInstances } from '../helpers/instances.js';
import { until } from '../helpers/until.js';

const POLL_MS = 200;
/** The stated bound, and a margin for the invalidation's own round trips on a busy machine. */
const BOUND_MS = 2 * POLL_MS + 300;
const OUTBOX_LOCK_KEY = 7_310_553;

let shared: SharedInstances;
before(async () => {
  shared = await startSharedInstances(2, { OUTBOX_POLL_MS: String(POLL_MS) });
});
after(async () => {
  await shared?.stop();
});

/** The backend that holds the outbox lock and LISTENs, if one does. */
async function listenerPid(): Promise<number | undefined> {
  const { rows } = await shared.database.db.query<{ pid: number }>(
    `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 AND objid = $1 AND objsubid = 1 AND granted`,
    [OUTBOX_LOCK_KEY],
  );
  return rows[0]?.pid;
}

test(`the LISTEN connection terminated as a row is updated behind the gateway: both instances fresh within ${BOUND_MS} ms`, { timeout: 60_000 }, async () => {
  const id = 15;
  const rounds = 5;
  const freshAfter: number[] = [];
  for (let round = 0; round < rounds; round++) {
    await until(async () => (await listenerPid()) !== undefined, 'an instance reads the outbox', 10_000);
    const pid = (await listenerPid())!;
    for (const gw of shared.instances) await titleOn(gw, id); // warm: the next reads are hits, unless invalidated
    const title = `Updated behind the gateway ${round}`;
    // Terminated first: the commit's notification finds nobody listening.
    await shared.database.db.query('SELECT pg_terminate_backend($1)', [pid]);
    await shared.database.db.query('UPDATE candidates SET title = $1 WHERE id = $2', [title, id]);
    const committed = performance.now();
    let lastStale = 0;
    while (performance.now() - committed < 3 * BOUND_MS) {
      for (const gw of shared.instances) if ((await titleOn(gw, id)) !== title) lastStale = performance.now() - committed;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    freshAfter.push(Math.round(lastStale));
    assert.notEqual(await listenerPid(), pid, 'another backend reads the outbox now');
  }
  console.log(`  ${rounds} rounds: both instances fresh ${freshAfter.join(', ')} ms after the commit (bound ${BOUND_MS})`);
  assert.ok(freshAfter.every((ms) => ms <= BOUND_MS), `stale past the bound: ${freshAfter.join(', ')} ms`);
});
