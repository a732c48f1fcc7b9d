/**
 * The cached gateway on a Redis Cluster of the test's own (3 masters, 3 replicas): two
 * instances with REDIS_CLUSTER_NODES share L2, hear each other's writes at once, compute a
 * herd's key once, share persisted queries and tell each other's listeners, with keys spread
 * over every master and no command refused for spanning slots. A slot migrating under reads
 * (MOVED, ASK) and a manual failover of the bus's master change nothing the clients see.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { startTestGateway, dataOf, metricOf, type TestGateway } from '../helpers/gateway.js';
import { candidateTitle, slowRecommender } from '../helpers/instances.js';
import { startTestRedisCluster, type ClusterNodeProcess, type TestRedisCluster } from '../helpers/testRedisCluster.js';
import { tapStatements } from '../helpers/statements.js';
import { until } from '../helpers/until.js';
import { BUS_CHANNEL } from '../../src/invalidation/busMessage.js';

let cluster: TestRedisCluster;
let a: TestGateway;
let b: TestGateway;
let engine: { calls: number };
before(async () => {
  cluster = await startTestRedisCluster();
  // Both instances and a herd share this process's event loop, which lags past the default
  // 50 ms Redis timeout under the herd; the breaker is not under test here.
  const env = { REDIS_CLUSTER_NODES: cluster.nodesSetting, REDIS_COMMAND_TIMEOUT_MS: '2000' };
  a = await startTestGateway({ env });
  b = await startTestGateway({ env, database: a.database });
  engine = slowRecommender([a, b]);
});
after(async () => {
  await b?.stop();
  await a?.stop();
  await cluster?.stop();
});

/** Calls per command on `node` since it started (INFO commandstats). */
async function commandCalls(node: ClusterNodeProcess): Promise<Record<string, number>> {
  const info = await node.client.info('commandstats');
  return Object.fromEntries([...info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)].map(([, name, n]) => [name, Number(n)]));
}

/** Errors `node` answered since it started, by kind (INFO errorstats: MOVED, ASK, CROSSSLOT, …). */
async function errorCounts(node: ClusterNodeProcess): Promise<Record<string, number>> {
  const info = await node.client.info('errorstats');
  return Object.fromEntries([...info.matchAll(/^errorstat_(\w+):count=(\d+)/gm)].map(([, name, n]) => [name, Number(n)]));
}

const masters = () => cluster.masters();

test('what one instance computed, the other serves from L2; a write on one is seen by the other at once', async () => {
  const query = '{ candidate(id: "19") { title } topMatches(candidateId: "19", limit: 3) { score job { id } } movies(ids: ["1", "2", "3", "4", "5", "6"]) { title } }';
  const fromA = dataOf(await a.post(query));
  await new Promise((r) => setTimeout(r, 50)); // A's write-back lands
  const tap = tapStatements(b.gateway.services.db);
  try {
    assert.deepEqual(dataOf(await b.post(query)), fromA);
    assert.deepEqual(tap.statements, [], 'B read everything from the cluster');
    dataOf(await a.post('mutation { updateCandidate(id: "19", input: { title: "Seen on every node" }) { id } }'));
    // B holds the old entry in its L1: the bus (sharded, on its slot's master) told it before A answered.
    assert.equal(await candidateTitle(b, 19), 'Seen on every node');
  } finally {
    tap.remove();
  }
});

test('the entries spread over every master, and no command was refused for spanning slots', async () => {
  const ids = Array.from({ length: 40 }, (_, i) => String(i + 1));
  dataOf(await a.post('query ($ids: [ID!]!) { movies(ids: $ids) { title } }', { ids }));
  await new Promise((r) => setTimeout(r, 50));
  dataOf(await b.post('query ($ids: [ID!]!) { movies(ids: $ids) { title } }', { ids }));
  for (const node of await masters()) {
    const calls = await commandCalls(node);
    assert.ok((calls.get ?? 0) > 0 && (calls.set ?? 0) > 0, `master ${node.port} was read and written: ${JSON.stringify(calls)}`);
  }
  for (const node of cluster.nodes) {
    const errors = await errorCounts(node);
    assert.equal(errors.CROSSSLOT ?? 0, 0, `node ${node.port}: ${JSON.stringify(errors)}`);
  }
});

test('1,000 concurrent misses of one key across two instances: the engine runs once, and the lock is released', async () => {
  engine.calls = 0;
  const query = '{ recommendations(userId: "17", n: 10) { score movie { id } } }';
  const answers = await Promise.all(Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? a : b).post(query)));
  const first = dataOf(answers[0]);
  assert.equal(first.recommendations.length, 10);
  for (const answer of answers) assert.deepEqual(dataOf(answer), first);
  assert.equal(engine.calls, 1);
  const keys = a.gateway.services.cache.keys;
  const lockKey = keys.lock(keys.recommendations(17, 10, 'COLLABORATIVE'));
  const owner = await cluster.masterOf(lockKey);
  assert.equal(owner.port, (await cluster.masterOf(keys.recommendations(17, 10, 'COLLABORATIVE'))).port, 'the lock lives with its entry');
  await until(async () => (await owner.client.exists(lockKey)) === 0, 'the lock is released');
});

test('a persisted query registered on one instance runs on the other by its hash alone', async () => {
  const query = 'query ClusterApq($id: ID!) { movie(id: $id) { title } }';
  const hash = createHash('sha256').update(query).digest('hex');
  const extensions = { persistedQuery: { version: 1, sha256Hash: hash } };
  const registered = await fetch(a.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables: { id: '3' }, extensions }) });
  assert.equal(registered.status, 200);
  const params = new URLSearchParams({ extensions: JSON.stringify(extensions), variables: JSON.stringify({ id: '3' }) });
  const byHash = await fetch(`${b.url}?${params}`, { headers: { 'apollo-require-preflight': 'true' } });
  const body = await byHash.json();
  assert.equal(byHash.status, 200, JSON.stringify(body));
  assert.equal(typeof body.data.movie.title, 'string');
});

test('a cacheInvalidated listener on the other instance hears a mutation', async () => {
  const events: unknown[] = [];
  const client = createClient({ url: b.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, lazy: false });
  client.subscribe(
    { query: 'subscription { cacheInvalidated(typenames: ["Candidate"], ids: ["6"]) { typename id reason } }' },
    { next: (result) => void events.push((result.data as any).cacheInvalidated), error: (err) => assert.fail(JSON.stringify(err)), complete: () => undefined },
  );
  try {
    await until(() => b.gateway.services.feed.subscriberCount > 0, 'the subscription is open');
    dataOf(await a.post('mutation { updateCandidate(id: "6", input: { title: "Heard through the cluster" }) { id } }'));
    await until(() => events.length > 0, 'B\'s listener hears it', 2000);
    assert.deepEqual(events, [{ typename: 'Candidate', id: '6', reason: 'CandidateUpdated' }]);
  } finally {
    await client.dispose();
  }
});

describe('the cluster changing under the gateway', () => {
  test('a slot migrating under reads and writes: MOVED and ASK are followed, no answer fails or is stale', async () => {
    const keys = a.gateway.services.cache.keys;
    const entryKey = keys.candidateProfile(23);
    const slot = Number(await cluster.nodes[0].client.cluster('KEYSLOT', entryKey));
    const source = await cluster.masterOf(entryKey);
    const busMaster = await cluster.masterOf(BUS_CHANNEL);
    const target = (await masters()).find((m) => m !== source && m !== busMaster) ?? (await masters()).find((m) => m !== source)!;
    const idOf = async (node: ClusterNodeProcess) => String(await node.client.cluster('MYID'));
    const [sourceId, targetId] = [await idOf(source), await idOf(target)];
    const before = { source: await errorCounts(source), target: await errorCounts(target) };

    assert.equal(await candidateTitle(a, 23), await candidateTitle(b, 23)); // cached on both, and in L2 on the source
    await target.client.cluster('SETSLOT', slot, 'IMPORTING', sourceId);
    await source.client.cluster('SETSLOT', slot, 'MIGRATING', targetId);
    // While migrating: a key the source still holds is served there; one it lacks is asked of the target (ASK).
    dataOf(await a.post('mutation { updateCandidate(id: "23", input: { title: "Written while migrating" }) { id } }'));
    for (const gw of [a, b]) assert.equal(await candidateTitle(gw, 23), 'Written while migrating');

    const inSlot = (await source.client.cluster('GETKEYSINSLOT', slot, 1000)) as string[];
    if (inSlot.length > 0) await source.client.migrate('127.0.0.1', target.port, '', 0, 5000, 'KEYS', ...inSlot);
    for (const node of await masters()) await node.client.cluster('SETSLOT', slot, 'NODE', targetId);
    // After: the slot is the target's (MOVED), which ioredis learns and follows.
    dataOf(await b.post('mutation { updateCandidate(id: "23", input: { title: "Written after migrating" }) { id } }'));
    for (const gw of [a, b]) assert.equal(await candidateTitle(gw, 23), 'Written after migrating');
    await new Promise((r) => setTimeout(r, 50));
    const tap = tapStatements(a.gateway.services.db);
    try {
      a.gateway.services.cache.l1?.clear();
      assert.equal(await candidateTitle(a, 23), 'Written after migrating');
      assert.deepEqual(tap.statements, [], 'read back from L2 on the slot\'s new master');
    } finally {
      tap.remove();
    }
    const after = { source: await errorCounts(source), target: await errorCounts(target) };
    const redirects = (after.source.MOVED ?? 0) - (before.source.MOVED ?? 0) + (after.source.ASK ?? 0) - (before.source.ASK ?? 0);
    console.log(`slot ${slot} moved from ${source.port} to ${target.port}: ${redirects} redirections answered by its old master, all followed`);
    assert.ok(redirects > 0, 'the gateway was redirected at least once');
  });

  test('a manual failover of the bus\'s master: the instances subscribe on the new master, and a write after it is seen at once', async () => {
    const oldMaster = await cluster.masterOf(BUS_CHANNEL);
    const replicaLine = ((await oldMaster.client.cluster('REPLICAS', String(await oldMaster.client.cluster('MYID')))) as string[])[0];
    const replica = cluster.nodes.find((n) => n.port === Number(/:(\d+)@/.exec(replicaLine)![1]))!;
    const subscriptions = () => Promise.all([a, b].map((gw) => metricOf(gw, 'strata_bus_subscriptions')));
    const subscriptionsBefore = await subscriptions();
    await replica.client.cluster('FAILOVER');
    await until(async () => (await cluster.masterOf(BUS_CHANNEL)).port === replica.port, 'the replica is promoted', 10_000);
    await until(async () => (await subscriptions()).every((n, i) => n > subscriptionsBefore[i]), 'both instances subscribed again', 10_000);
    const channels = (await replica.client.call('PUBSUB', 'SHARDNUMSUB', BUS_CHANNEL)) as [string, number];
    assert.ok(channels[1] >= 2, `the new master has the instances' subscriptions: ${channels}`);
    await cluster.settled();
    await until(async () => (await candidateTitle(b, 31)).length > 0, 'B answers');
    dataOf(await a.post('mutation { updateCandidate(id: "31", input: { title: "After the failover" }) { id } }'));
    assert.equal(await candidateTitle(b, 31), 'After the failover');
  });
});
