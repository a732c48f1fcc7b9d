/**
 * Fault 17: a Redis Cluster master SIGKILLed under load. Two instances on the test's own
 * cluster (3 masters, 3 replicas; cluster-node-timeout 5 s, so a failover takes longer than a
 * write's wait for Redis) serve readers and a writer whose every write is read back on both
 * instances once acknowledged. Two masters are killed in turn:
 *
 * - the one serving the bus's channel and the hottest movie: L2 loses a third of its slots and
 *   every instance its bus until a replica takes over;
 * - one serving the versions of the tags the writer changes, not the bus: the writes' new
 *   versions cannot be stored while the bus carries on, and the replica promoted comes back
 *   with the old ones (the writer withholds trust on every instance until it has delivered).
 *
 * Counted: client-visible errors (0), stale read-backs (0). Reported: the failover time (kill
 * to promotion), the requests served meanwhile and the slowest.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { dataOf, metricOf, type GraphQLResponse, type TestGateway } from '../helpers/gateway.js';
import type { ClusterNodeProcess, TestRedisCluster } from '../helpers/testRedisCluster.js';
import { startClusterInstances, type ClusterInstances } from '../helpers/instances.js';
import { until } from '../helpers/until.js';
import { BUS_CHANNEL } from '../../src/invalidation/busMessage.js';

/** How long the load runs before the kill, and after the failover. */
const BEFORE_MS = 2000;
const AFTER_MS = 3000;
const READERS = 16;
const CANDIDATES = 20;

let deployment: ClusterInstances;
let cluster: TestRedisCluster;
let a: TestGateway;
let b: TestGateway;
before(async () => {
  deployment = await startClusterInstances(5000);
  ({ cluster, instances: [a, b] } = deployment);
});
after(() => deployment?.stop());

interface Tally {
  requests: number;
  errors: string[];
  stale: string[];
  slowestMs: number;
}

/** Sends `query` to `gw`, counting it; a non-200 or an error in the body is a client-visible error. */
async function ask(tally: Tally, gw: TestGateway, query: string): Promise<GraphQLResponse | undefined> {
  const started = performance.now();
  try {
    const response = await gw.post(query);
    tally.requests++;
    if (response.status !== 200 || response.body.errors?.length) {
      tally.errors.push(`${response.status} ${JSON.stringify(response.body.errors)}`);
      return undefined;
    }
    return response;
  } catch (err) {
    tally.errors.push(String(err));
    return undefined;
  } finally {
    tally.slowestMs = Math.max(tally.slowestMs, performance.now() - started);
  }
}

const movieQuery = (id: number) => `{ movie(id: "${id}") { title ratingCount } }`;
const candidateQuery = (id: number) => `{ candidate(id: "${id}") { title } }`;

/**
 * Runs readers (half of them on `hotMovie`) and the writer on both instances, kills `victim`
 * after BEFORE_MS, waits for a replica to serve `victimKey`'s slot, runs AFTER_MS more.
 */
async function killUnderLoad(victim: ClusterNodeProcess, victimKey: string, hotMovie: number, round: string) {
  for (const gw of [a, b]) for (let id = 1; id <= CANDIDATES; id++) dataOf(await gw.post(movieQuery(id)));
  const tally: Tally = { requests: 0, errors: [], stale: [], slowestMs: 0 };
  let running = true;
  const readers = Array.from({ length: READERS }, async (_, r) => {
    for (let n = 0; running; n++) {
      const gw = (r + n) % 2 === 0 ? a : b;
      const query = n % 2 === 0 ? movieQuery(hotMovie) : n % 4 === 1 ? movieQuery(1 + ((r * 7 + n) % 20)) : candidateQuery(1 + ((r * 3 + n) % CANDIDATES));
      await ask(tally, gw, query);
    }
  });
  const writer = (async () => {
    for (let n = 0; running; n++) {
      const [writeOn, readOn] = n % 2 === 0 ? [a, b] : [b, a];
      const id = 1 + (n % CANDIDATES);
      const title = `${round} write ${n}`;
      if (!(await ask(tally, writeOn, `mutation { updateCandidate(id: "${id}", input: { title: "${title}" }) { id } }`))) continue;
      // Acknowledged: both instances must answer the new title from now on.
      for (const gw of [readOn, writeOn]) {
        const read = await ask(tally, gw, candidateQuery(id));
        const seen = read?.body.data?.candidate.title;
        if (read && seen !== title) tally.stale.push(`${title} read back on ${gw === a ? 'A' : 'B'} as ${seen}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();

  await new Promise((r) => setTimeout(r, BEFORE_MS));
  const requestsBefore = tally.requests;
  const killedAt = performance.now();
  await victim.kill();
  await until(async () => (await cluster.masterOf(victimKey).catch(() => victim)).port !== victim.port, 'a replica is promoted', 30_000);
  const failoverMs = performance.now() - killedAt;
  const duringFailover = tally.requests - requestsBefore;
  await new Promise((r) => setTimeout(r, AFTER_MS));
  running = false;
  await Promise.all([...readers, writer]);
  return { tally, failoverMs, duringFailover };
}

test('the master of the bus and of the hottest movie SIGKILLed under load: no client-visible error, no stale read-back', { timeout: 120_000 }, async () => {
  const keys = a.gateway.services.cache.keys;
  const victim = await cluster.masterOf(BUS_CHANNEL);
  let hotMovie = 0;
  for (let id = 1; id <= 50 && !hotMovie; id++) if ((await cluster.masterOf(keys.movieMetadata(id))).port === victim.port) hotMovie = id;
  assert.ok(hotMovie > 0, 'a movie on the bus master');
  const subscriptions = () => Promise.all([a, b].map((gw) => metricOf(gw, 'strata_bus_subscriptions')));
  const subscribedBefore = await subscriptions();
  const { tally, failoverMs, duringFailover } = await killUnderLoad(victim, BUS_CHANNEL, hotMovie, 'Bus master');
  assert.ok((await subscriptions()).every((n, i) => n > subscribedBefore[i]), 'both instances subscribed again, on the new master');
  console.log(
    `master ${victim.port} (the bus, movie ${hotMovie}) killed: a replica promoted after ${Math.round(failoverMs)} ms; ` +
      `${duringFailover} requests served meanwhile, ${tally.requests} in all, slowest ${Math.round(tally.slowestMs)} ms; errors ${tally.errors.length}, stale read-backs ${tally.stale.length}`,
  );
  assert.deepEqual(tally.errors.slice(0, 5), [], 'client-visible errors');
  assert.deepEqual(tally.stale.slice(0, 5), [], 'stale read-backs');
  assert.ok(duringFailover > 0, 'requests were served during the failover');
  await victim.restart(); // it rejoins as a replica
  await cluster.settled();
});

test('a master holding written tags\' versions, not the bus, SIGKILLed under load: no client-visible error, no stale read-back', { timeout: 120_000 }, async () => {
  const keys = a.gateway.services.cache.keys;
  const busMaster = await cluster.masterOf(BUS_CHANNEL);
  let victimKey = '';
  let victim: ClusterNodeProcess | undefined;
  for (const tag of ['Candidate:*', ...Array.from({ length: CANDIDATES }, (_, i) => `Candidate:${i + 1}`)]) {
    const master = await cluster.masterOf(keys.tagVersion(tag));
    if (master.port !== busMaster.port) {
      [victim, victimKey] = [master, keys.tagVersion(tag)];
      break;
    }
  }
  assert.ok(victim, 'a written tag\'s version off the bus master');
  let hotMovie = 0;
  for (let id = 1; id <= 50 && !hotMovie; id++) if ((await cluster.masterOf(keys.movieMetadata(id))).port === victim.port) hotMovie = id;
  const subscribedBefore = await metricOf(b, 'strata_bus_subscriptions');
  const { tally, failoverMs, duringFailover } = await killUnderLoad(victim, victimKey, hotMovie || 1, 'Version master');
  assert.equal(await metricOf(b, 'strata_bus_subscriptions'), subscribedBefore, 'the bus stayed up');
  console.log(
    `master ${victim.port} (versions of written tags, not the bus) killed: a replica promoted after ${Math.round(failoverMs)} ms; ` +
      `${duringFailover} requests served meanwhile, ${tally.requests} in all, slowest ${Math.round(tally.slowestMs)} ms; errors ${tally.errors.length}, stale read-backs ${tally.stale.length}`,
  );
  assert.deepEqual(tally.errors.slice(0, 5), [], 'client-visible errors');
  assert.deepEqual(tally.stale.slice(0, 5), [], 'stale read-backs');
  assert.ok(duringFailover > 0, 'requests were served during the failover');
});
