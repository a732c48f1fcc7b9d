/**
 * Which cluster masters have a replica that should confirm a write (cache/l2RoundTrip.ts,
 * confirmReplicated), as each master's CLUSTER SHARDS says of its own shard: a replica counts
 * once its health is `online`, not while it is `loading` (a full sync under way: it would
 * confirm nothing until done) or `failed`. Not ioredis's slot map, which has no health and,
 * like CLUSTER SLOTS, leaves out a replica whose replication offset is still 0.
 *
 * A master counts as having a replica unless, when last asked, it said it had no online one:
 * a master not asked yet (or not answering) is waited for, and a write it cannot have
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
  /** Masters (`host:port`, as the slot map names them) that say they have no online replica. */
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

  /**
   * Asks each master about its own shard: another node's view of a replica can lag behind
   * (its health comes from gossip), and would leave a master that has one unconfirmed.
   */
  private refresh(): void {
    if (this.asking || this.cluster.status !== 'ready') return;
    this.asking = true;
    const views = this.cluster.nodes('master').map(async (node) => {
      const [id, shards] = await Promise.all([node.call('CLUSTER', 'MYID'), node.call('CLUSTER', 'SHARDS')]);
      return hasOnlineReplica(shards as Shard[], String(id)) ? undefined : `${node.options.host}:${node.options.port}`;
    });
    Promise.allSettled(views)
      .then((settled) => {
        const failed = settled.find((view) => view.status === 'rejected');
        // A master that did not answer stays waited for: a write to it fails anyway.
        if (failed) log.debug('a master did not say whether it has a replica', { err: (failed as PromiseRejectedResult).reason });
        this.withoutReplica = new Set(settled.flatMap((view) => (view.status === 'fulfilled' && view.value ? [view.value] : [])));
      })
      .finally(() => (this.asking = false));
  }
}

/** One shard of CLUSTER SHARDS (RESP2): `['slots', […], 'nodes', [[field, value, …], …]]`. */
export type Shard = unknown[];

/** Whether the shard of node `nodeId` has a replica whose health is `online`. */
export function hasOnlineReplica(shards: readonly Shard[], nodeId: string): boolean {
  for (const shard of shards) {
    const nodes = ((fields(shard).nodes ?? []) as unknown[][]).map(fields);
    if (nodes.some((node) => node.id === nodeId)) return nodes.some((node) => node.role === 'replica' && node.health === 'online');
  }
  return false;
}

/** `[name, value, name, value, …]` as an object. */
function fields(list: unknown[]): Record<string, any> {
  const object: Record<string, unknown> = {};
  for (let i = 0; i + 1 < list.length; i += 2) object[String(list[i])] = list[i + 1];
  return object;
}
