/**
 * Which cluster masters have a replica that should confirm a write (cache/l2RoundTrip.ts,
 * confirmReplicated), as CLUSTER SHARDS says: a replica counts once its health is `online`, not
 * while it is `loading` (a full sync under way: it would confirm nothing until done) or
 * `failed`. Not ioredis's slot map, which has no health and, like CLUSTER SLOTS, leaves out a
 * replica whose replication offset is still 0.
 *
 * A master counts as having a replica unless the cluster, when last asked, listed it with no
 * online one: a master the view does not know yet is waited for, and a write it cannot have
 * confirmed fails rather than being acknowledged and then lost. A master whose replica stops
 * answering keeps failing writes (sent again, trust withheld meanwhile) until the cluster
 * flags the replica failed, after cluster-node-timeout.
 */
import type { Cluster } from 'ioredis';
import { logger } from '../log.js';

const log = logger('redis.replicas');

/** How often the view is taken again: a replica's sync or failure shows within this. */
const REFRESH_MS = 1000;

export class ClusterReplicas {
  /** Masters (`host:port`, as the slot map names them) listed with no online replica. */
  private withoutReplica = new Set<string>();
  private asking = false;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly cluster: Cluster) {
    cluster.on('ready', () => this.refresh());
    this.timer = setInterval(() => this.refresh(), REFRESH_MS).unref();
  }

  /** Whether a write to `master` waits for a replica's confirmation. */
  expected(master: string): boolean {
    return !this.withoutReplica.has(master);
  }

  /** A write was not confirmed: a replica may have failed, or begun a full sync, since the view was taken. */
  missed(): void {
    this.refresh();
  }

  close(): void {
    clearInterval(this.timer);
  }

  private refresh(): void {
    if (this.asking || this.cluster.status !== 'ready') return;
    this.asking = true;
    this.cluster
      .call('CLUSTER', 'SHARDS')
      .then((shards) => (this.withoutReplica = mastersWithoutReplica(shards as Shard[])))
      .catch((err) => log.debug('could not read CLUSTER SHARDS; keeping the last view of replicas', { err }))
      .finally(() => (this.asking = false));
  }
}

/** One shard of CLUSTER SHARDS (RESP2): `['slots', […], 'nodes', [[field, value, …], …]]`. */
export type Shard = unknown[];

/** The addresses (`ip:port`, and `endpoint:port`, `hostname:port`) of masters with no online replica. */
export function mastersWithoutReplica(shards: readonly Shard[]): Set<string> {
  const without = new Set<string>();
  for (const shard of shards) {
    const nodes = (fields(shard).nodes ?? []) as unknown[][];
    const described = nodes.map(fields);
    if (described.some((node) => node.role === 'replica' && node.health === 'online')) continue;
    for (const node of described) {
      if (node.role !== 'master') continue;
      const port = node.port ?? node['tls-port'];
      for (const host of [node.ip, node.endpoint, node.hostname]) if (host) without.add(`${host}:${port}`);
    }
  }
  return without;
}

/** `[name, value, name, value, …]` as an object. */
function fields(list: unknown[]): Record<string, any> {
  const object: Record<string, unknown> = {};
  for (let i = 0; i + 1 < list.length; i += 2) object[String(list[i])] = list[i + 1];
  return object;
}
