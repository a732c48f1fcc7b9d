/**
 * A write's new tag versions taken by a cluster master that dies before its replica has them.
 * Redis replicates after answering: a master can acknowledge a write, be killed, and have its
 * replica promoted without it, so the cluster comes back with the versions the write replaced
 * and vouches again for entries built before it. (The same happens when a killed master is
 * restarted empty and, until gossip demotes it, takes writes for the slots it lost.)
 *
 * Made deterministic here: the replica is frozen until the master drops it (repl-timeout, 1 s
 * here: a frozen replica's socket would otherwise still deliver the write once thawed), the
 * write is acknowledged, the master is killed, the replica thawed and promoted (CLUSTER
 * FAILOVER TAKEOVER). Both instances must then
 * read the written value: the gateway counts a version write as done only once a replica
 * confirmed it (WAIT), and otherwise withholds trust and sends it again.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { dataOf, type TestGateway } from '../helpers/gateway.js';
import type { ClusterNodeProcess, TestRedisCluster } from '../helpers/testRedisCluster.js';
import { startClusterInstances, type ClusterInstances } from '../helpers/instances.js';
import { until } from '../helpers/until.js';
import { BUS_CHANNEL } from '../../src/invalidation/busMessage.js';
import { hasOnlineReplica, type Shard } from '../../src/redis/clusterReplicas.js';

let deployment: ClusterInstances;
let cluster: TestRedisCluster;
let a: TestGateway;
let b: TestGateway;
before(async () => {
  // No automatic failover within the test: the test promotes the replica itself.
  deployment = await startClusterInstances(15_000);
  ({ cluster, instances: [a, b] } = deployment);
});
after(() => deployment?.stop());

const candidateQuery = (id: number) => `{ candidate(id: "${id}") { title } }`;

/** The node replicating `master` now. */
async function replicaOf(master: ClusterNodeProcess): Promise<ClusterNodeProcess> {
  for (const node of cluster.nodes) {
    const replication = await node.client.info('replication').catch(() => '');
    if (new RegExp(`^master_port:${master.port}\\r?$`, 'm').test(replication)) return node;
  }
  throw new Error(`no replica of ${master.port}`);
}

test('a write whose versions the master took but never replicated, then the master killed and its replica promoted: both instances read the write', { timeout: 60_000 }, async () => {
  const keys = a.gateway.services.cache.keys;
  const busMaster = await cluster.masterOf(BUS_CHANNEL);
  let id = 0;
  let victim: ClusterNodeProcess | undefined;
  for (let candidate = 1; candidate <= 50 && !victim; candidate++) {
    const master = await cluster.masterOf(keys.tagVersion(`Candidate:${candidate}`));
    if (master.port !== busMaster.port) [id, victim] = [candidate, master];
  }
  assert.ok(victim, 'a candidate whose version is off the bus master');
  const versionKey = keys.tagVersion(`Candidate:${id}`);
  const replica = await replicaOf(victim);
  // Both instances hold the candidate (L1, L2 and the response tier) under its current version.
  const before = dataOf(await a.post(candidateQuery(id))).candidate.title;
  for (const gw of [a, b, a, b]) assert.equal(dataOf(await gw.post(candidateQuery(id))).candidate.title, before);

  // The cluster counts a replica as able to confirm once it has gossiped a replication offset
  // past 0 (CLUSTER SHARDS health online); the gateways ask each master every second.
  const victimId = String(await victim.client.call('CLUSTER', 'MYID'));
  const replicated = async () => hasOnlineReplica((await victim!.client.call('CLUSTER', 'SHARDS')) as Shard[], victimId);
  await until(replicated, 'the replica is online', 10_000);
  await new Promise((r) => setTimeout(r, 1200));
  await victim.client.config('SET', 'repl-timeout', '1');
  replica.freeze();
  await until(async () => /^connected_slaves:0\r?$/m.test(await victim.client.info('replication')), 'the master drops its frozen replica', 10_000);
  const title = 'written while the replica slept';
  const started = performance.now();
  const written = await a.post(`mutation { updateCandidate(id: "${id}", input: { title: "${title}" }) { title } }`);
  const writeMs = performance.now() - started;
  assert.equal(dataOf(written).updateCandidate.title, title);

  await victim.kill();
  replica.thaw();
  await until(async () => (await replica.client.cluster('FAILOVER', 'TAKEOVER').then(() => true, () => false)), 'the replica takes over', 10_000);
  await until(async () => (await cluster.masterOf(versionKey)).port === replica.port, 'the replica serves the version', 15_000);

  const seen: string[] = [];
  for (let round = 0; round < 5; round++) {
    for (const gw of [b, a]) seen.push(dataOf(await gw.post(candidateQuery(id))).candidate.title);
    await new Promise((r) => setTimeout(r, 100));
  }
  console.log(`write acknowledged in ${Math.round(writeMs)} ms with the replica frozen; read back ${seen.length} times after the takeover`);
  assert.deepEqual(seen.filter((t) => t !== title), [], 'reads that did not show the write');
});
