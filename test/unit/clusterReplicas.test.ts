import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mastersWithoutReplica, type Shard } from '../../src/redis/clusterReplicas.js';

const node = (port: number, role: 'master' | 'replica', health: string, extra: unknown[] = []) =>
  ['id', `node-${port}`, 'port', port, 'ip', '127.0.0.1', 'endpoint', '127.0.0.1', ...extra, 'role', role, 'replication-offset', 1200, 'health', health];

// CLUSTER SHARDS (RESP2) of a 3+3 cluster after one master failed over: 7005 took 7002's slots
// and 7002, restarted as its replica, is still in its full sync; 7004, 7001's replica, has failed.
const SHARDS: Shard[] = [
  ['slots', [0, 5460], 'nodes', [node(7000, 'master', 'online'), node(7003, 'replica', 'online')]],
  ['slots', [5461, 10922], 'nodes', [node(7001, 'master', 'online', ['hostname', 'redis-b']), node(7004, 'replica', 'failed')]],
  ['slots', [10923, 16383], 'nodes', [node(7002, 'replica', 'loading'), node(7005, 'master', 'online')]],
];

test('masters with no online replica: those whose replicas have failed or are still syncing', () => {
  assert.deepEqual([...mastersWithoutReplica(SHARDS)].sort(), ['127.0.0.1:7001', '127.0.0.1:7005', 'redis-b:7001']);
});

test('a cluster of masters alone: every master is without a replica', () => {
  assert.deepEqual([...mastersWithoutReplica([['slots', [0, 16383], 'nodes', [node(6379, 'master', 'online')]]])], ['127.0.0.1:6379']);
});
