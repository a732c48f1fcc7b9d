/**
 * Commands L2 sends together, answered in the order added (as Pipeline.exec answers). On one
 * Redis: one pipeline. On a cluster, where a pipeline must keep to the nodes of one slot: one
 * pipeline per node, all nodes at once, each node's commands in the order added. Commands that
 * must land in order therefore share a slot: an entry and its lock do (cache/keys.ts).
 *
 * While slots move (a failover, a migration), a node answers MOVED or ASK for a slot it no
 * longer serves. ioredis follows those for a pipeline only when every command in it met the
 * same one; any command that met one here is sent again on its own, which ioredis follows
 * (and refreshes its slot map from).
 *
 * A cluster master answers a write before its replica has it. Writes that must survive the
 * master's loss (tag versions: a promoted replica without them would vouch for entries built
 * before the write) are confirmed with WAIT, and count as failed when no replica took them
 * (see `confirmReplicated`).
 */
import calculateSlot from 'cluster-key-slot';
import type { Cluster, Result } from 'ioredis';
import type { RedisClient } from '../redis/connect.js';

/** Deletes a lock only while it still holds the token its holder set. */
const RELEASE_LOCK = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    releaseLock(key: string, token: string): Result<number, Context>;
  }
}

/** Teaches `redis` the scripts a round trip may run. */
export function defineScripts(redis: RedisClient): void {
  redis.defineCommand('releaseLock', { numberOfKeys: 1, lua: RELEASE_LOCK });
}

export type Reply = [Error | null, unknown];

/** On a cluster, which masters have a replica to confirm writes (redis/clusterReplicas.ts), and how long it may take. */
export interface ReplicaConfirmation {
  replicas: { expected(master: string): boolean; missed(): void };
  timeoutMs: number;
}

/** A command with one key (its first argument), by the name ioredis gives it on a client and on a pipeline alike. */
interface Command {
  name: 'set' | 'get' | 'mget' | 'exists' | 'releaseLock' | 'publish' | 'spublish' | 'wait';
  args: Array<string | number>;
}

/** Calls `command` on a client or a pipeline (both have every method a Command names). */
function send(target: unknown, { name, args }: Command): unknown {
  return (target as Record<Command['name'], (...a: Array<string | number>) => unknown>)[name](...args);
}

/** What a node answers for a slot it does not serve now. */
const REDIRECTED = /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN) /;

export class RoundTrip {
  /** The commands added, and for an MGET on a cluster how many GETs it became (joined into one reply). */
  private readonly commands: Command[] = [];
  private readonly joins: Array<{ at: number; count: number }> = [];
  /** On a cluster: which nodes' replicas must confirm this trip's SETs, and how long they may take (confirmReplicated). */
  private confirmation: ReplicaConfirmation | undefined;

  constructor(private readonly redis: RedisClient) {}

  /**
   * On a cluster, this trip's SETs count as done only once a replica of their node has them
   * too (WAIT 1 after them, up to `timeoutMs`): otherwise a master killed just after answering
   * acknowledges writes its promoted replica never had. A node whose replica did not confirm in
   * time fails its SETs (the caller sends them again). Nodes `replicas` says have none are not
   * waited for, nor is a SET redirected and sent again on its own (a slot moving, or just failed
   * over to a master whose only replica was the one that failed).
   */
  confirmReplicated(confirmation: ReplicaConfirmation): this {
    this.confirmation = confirmation;
    return this;
  }

  get length(): number {
    return this.commands.length;
  }

  /** SET … PX `ttlMs`, and NX when `onlyIfAbsent`. */
  set(key: string, value: string, ttlMs: number, onlyIfAbsent = false): this {
    const px = Math.max(1, Math.round(ttlMs));
    this.commands.push({ name: 'set', args: onlyIfAbsent ? [key, value, 'PX', px, 'NX'] : [key, value, 'PX', px] });
    return this;
  }

  /**
   * SET … PX `ttlMs` GET: sets `value` and answers the value it replaced (null for none), in
   * one command, so nothing can come between the two. A SET like any other here (confirmed
   * with WAIT on a cluster).
   */
  swap(key: string, value: string, ttlMs: number): this {
    this.commands.push({ name: 'set', args: [key, value, 'PX', Math.max(1, Math.round(ttlMs)), 'GET'] });
    return this;
  }

  /** The values of `keys`, as one reply (MGET; on a cluster a GET per key, as keys span slots). */
  mget(keys: readonly string[]): this {
    if (!this.redis.isCluster) {
      this.commands.push({ name: 'mget', args: [...keys] });
      return this;
    }
    this.joins.push({ at: this.commands.length, count: keys.length });
    for (const key of keys) this.commands.push({ name: 'get', args: [key] });
    return this;
  }

  releaseLock(key: string, token: string): this {
    this.commands.push({ name: 'releaseLock', args: [key, token] });
    return this;
  }

  /** A bus message: PUBLISH, or on a cluster SPUBLISH (sharded pub/sub, invalidation/busConnection.ts). */
  publish(channel: string, text: string): this {
    this.commands.push({ name: this.redis.isCluster ? 'spublish' : 'publish', args: [channel, text] });
    return this;
  }

  /** EXISTS `key`: on a cluster, sent to the node of the key's slot, which a channel's name shares. */
  exists(key: string): this {
    this.commands.push({ name: 'exists', args: [key] });
    return this;
  }

  /** Sends everything added; a reply per command, an error in place of a failed one. */
  async exec(): Promise<Reply[]> {
    if (this.commands.length === 0) return [];
    if (!this.redis.isCluster) {
      const pipeline = this.redis.pipeline();
      for (const command of this.commands) send(pipeline, command);
      return ((await pipeline.exec()) ?? []) as Reply[];
    }
    return this.join(await this.execOnNodes(this.redis as Cluster));
  }

  /** Sends everything added, and throws the first error any command met. */
  async execOrThrow(): Promise<unknown[]> {
    const replies = await this.exec();
    const failed = replies.find(([err]) => err);
    if (failed) throw failed[0];
    return replies.map(([, value]) => value);
  }

  /** One pipeline per node the cluster's slot map names; then, one by one, what was redirected. */
  private async execOnNodes(cluster: Cluster): Promise<Reply[]> {
    const byNodes = new Map<string, number[]>();
    this.commands.forEach((command, i) => {
      const slot = calculateSlot(String(command.args[0]));
      const nodes = cluster.slots[slot]?.join(',') ?? `slot ${slot}`;
      const positions = byNodes.get(nodes);
      if (positions) positions.push(i);
      else byNodes.set(nodes, [i]);
    });
    const replies: Reply[] = new Array(this.commands.length);
    await Promise.all(
      [...byNodes].map(async ([nodes, positions]) => {
        const pipeline = cluster.pipeline();
        for (const i of positions) send(pipeline, this.commands[i]);
        const master = nodes.split(',')[0];
        const confirmation = this.confirmation;
        const confirm = confirmation && positions.some((i) => this.commands[i].name === 'set') && confirmation.replicas.expected(master);
        if (confirm) send(pipeline, { name: 'wait', args: [1, confirmation.timeoutMs] });
        const answered = ((await pipeline.exec()) ?? []) as Reply[];
        positions.forEach((i, n) => (replies[i] = answered[n] ?? [new Error('no reply'), null]));
        if (confirm && !((answered[positions.length]?.[1] as number) >= 1)) {
          confirmation.replicas.missed();
          const unconfirmed = new Error(`no replica of ${master} confirmed the write within ${confirmation.timeoutMs} ms: it could be lost in a failover`);
          for (const i of positions) if (this.commands[i].name === 'set' && !replies[i][0]) replies[i] = [unconfirmed, null];
        }
      }),
    );
    for (let i = 0; i < replies.length; i++) {
      const [err] = replies[i];
      if (!err || !REDIRECTED.test(err.message)) continue;
      replies[i] = await (send(cluster, this.commands[i]) as Promise<unknown>).then((value): Reply => [null, value], (e: Error): Reply => [e, null]);
    }
    return replies;
  }

  /** Joins the GETs an MGET became into one reply (its first error, if any). */
  private join(replies: Reply[]): Reply[] {
    if (this.joins.length === 0) return replies;
    const joined: Reply[] = [];
    let i = 0;
    for (const { at, count } of this.joins) {
      while (i < at) joined.push(replies[i++]);
      const part = replies.slice(i, i + count);
      i += count;
      joined.push([part.find(([err]) => err)?.[0] ?? null, part.map(([, value]) => value)]);
    }
    while (i < replies.length) joined.push(replies[i++]);
    return joined;
  }
}

