import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasOnlineReplica, type Shard } from '../../src/redis/clusterReplicas.js';

const node = (port: number, role: 'master' | 'replica', health: string) =>
  ['id', `node-${port}`, 'port', port, 'ip', '127.0.0.1', 'endpoint', '127.0.0.1', 'role', role, 'replication-offset', 1200, 'health', health];

// CLUSTER SHARDS (RESP2) of a 3+3 cluster after one master failed over: 7005 took 7002's slots
// and 7002, restarted as its replica, is still in its full sync; 7004, 7001's replica, has failed.
const SHARDS: Shard[] = [
  ['slots', [0, 5460], 'nodes', [node(7000, 'master', 'online'), node(7003, 'replica', 'online')]],
  ['slots', [5461, 10922], 'nodes', [node(7001, 'master', 'online'), node(7004, 'replica', 'failed')]],
  ['slots', [10923, 16383], 'nodes', [node(7002, 'replica', 'loading'), node(7005, 'master', 'online')]],
];

test('a master has a replica to confirm writes only when one in its shard is online (not failed, not still syncing)', () => {
  assert.equal(hasOnlineReplica(SHARDS, 'node-7000'), true);
  assert.equal(hasOnlineReplica(SHARDS, 'node-7001'), false);
  assert.equal(hasOnlineReplica(SHARDS, 'node-7005'), false);
});

test('a master alone in its shard, or a node the answer does not list, has none', () => {
  assert.equal(hasOnlineReplica([['slots', [0, 16383], 'nodes', [node(6379, 'master', 'online')]]], 'node-6379'), false);
  assert.equal(hasOnlineReplica(SHARDS, 'node-9999'), false);
});
