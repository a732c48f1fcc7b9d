/**
 * A redis-server of the test's own, on a free loopback port, with nothing persisted; stopped
 * (by its PID) at the end. Tests may freeze and thaw it (SIGSTOP/SIGCONT), or kill it and
 * start it again on the same port, without touching anyone else's Redis.
 *
 * With TEST_REDIS=cluster (`npm run test:cluster`), a Redis Cluster of the test's own instead
 * (testRedisCluster.ts), so the cached-gateway tests run unchanged against one; freezing and
 * killing are then the fault tests' business (test/faults/clusterFailover.test.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { freePort } from './ports.js';
import { startTestRedisCluster, type TestRedisCluster } from './testRedisCluster.js';

/** Whether this run's tests get a Redis Cluster (TEST_REDIS=cluster) rather than one redis-server. */
export const onCluster = process.env.TEST_REDIS === 'cluster';
const CLUSTER_SCHEME = 'cluster:';

/** The gateway settings that point at `url` (a TestRedis's): REDIS_URL, or REDIS_CLUSTER_NODES for a cluster. */
export function redisEnv(url: string): Record<string, string> {
  return url.startsWith(CLUSTER_SCHEME) ? { REDIS_CLUSTER_NODES: url.slice(CLUSTER_SCHEME.length) } : { REDIS_URL: url };
}

export interface TestRedis {
  /** `redis://…`, or on a cluster `cluster:host:port,…`: give it to redisEnv, or to the gateway helpers as redisUrl. */
  url: string;
  /** On a cluster (TEST_REDIS=cluster): its nodes, to break one. */
  cluster?: TestRedisCluster;
  /** A client of the test's own, for looking from the outside. */
  client: Redis;
  /** The keys matching `pattern` (KEYS; on a cluster, on every master). */
  keys(pattern: string): Promise<string[]>;
  /** Calls per command since start, from INFO commandstats (e.g. { mget: 3, set: 50 }). */
  commandCalls(): Promise<Record<string, number>>;
  freeze(): void;
  thaw(): void;
  /** Kills the server (SIGKILL: connections reset, data gone) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts a new, empty server on the same port after `kill()`. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestRedis(): Promise<TestRedis> {
  if (onCluster) return startClusterAsTestRedis();
  const port = await freePort();
  const dir = await mkdtemp(path.join(tmpdir(), 'strata-redis-'));
  const spawnServer = (): ChildProcess =>
    spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  let server = spawnServer();
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => 100 });
  // Refused connections while the server starts, and while a test freezes or kills it, are expected.
  client.on('error', () => undefined);
  const exited = (child: ChildProcess) => (child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r)));
  await untilAnswering(client, port);
  return {
    url: `redis://127.0.0.1:${port}`,
    client,
    keys: (pattern) => client.keys(pattern),
    async commandCalls() {
      const info = await client.info('commandstats');
      const calls: Record<string, number> = {};
      for (const [, name, n] of info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) calls[name] = Number(n);
      return calls;
    },
    freeze: () => void server.kill('SIGSTOP'),
    thaw: () => void server.kill('SIGCONT'),
    async kill() {
      server.kill('SIGKILL');
      await exited(server);
    },
    async restart() {
      server = spawnServer();
      await untilAnswering(client, port);
    },
    async stop() {
      client.disconnect();
      server.kill('SIGCONT');
      server.kill('SIGKILL');
      await exited(server);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Waits (up to about 5 s) until the server on `port` answers PING through `client`. */
async function untilAnswering(client: Redis, port: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      if (client.status === 'wait' || client.status === 'end') await client.connect();
      await client.ping();
      return;
    } catch (err) {
      if (attempt > 50) throw new Error(`redis-server did not start on port ${port}: ${(err as Error).message}`);
      if (client.status !== 'ready' && client.status !== 'connecting' && client.status !== 'reconnecting') client.disconnect();
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** What commands ran between two `commandCalls()` readings, leaving out the readings themselves. */
export function callsBetween(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [name, n] of Object.entries(after)) {
    const d = n - (before[name] ?? 0) - (name === 'info' ? 1 : 0);
    if (d > 0) delta[name] = d;
  }
  return delta;
}

/** Commands the cluster and this helper run, not the gateway. */
const CLUSTER_OWN = new Set(['info', 'ping', 'cluster', 'replconf', 'psync', 'command', 'select']);

/** The test's own cluster, looked at through one client that routes each command by its key. */
async function startClusterAsTestRedis(): Promise<TestRedis> {
  const cluster = await startTestRedisCluster();
  const nodes = cluster.nodesSetting.split(',').map((address) => ({ host: '127.0.0.1', port: Number(address.split(':')[1]) }));
  const client = new Cluster(nodes, { scaleReads: 'master' });
  client.on('error', () => undefined);
  const notHere = (what: string) => () => {
    throw new Error(`${what} is not done on a cluster (TEST_REDIS=cluster); test/faults/clusterFailover.test.ts kills its nodes`);
  };
  return {
    url: CLUSTER_SCHEME + cluster.nodesSetting,
    cluster,
    // Both run the same commands; the cluster routes each to the node of its key.
    client: client as unknown as Redis,
    async keys(pattern) {
      const found: string[] = [];
      for (const node of await cluster.masters()) found.push(...(await node.client.keys(pattern)));
      return found;
    },
    /** The masters' calls (replicas replay their writes), without what the cluster runs for itself. */
    async commandCalls() {
      const calls: Record<string, number> = {};
      for (const node of await cluster.masters()) {
        const info = await node.client.info('commandstats');
        for (const [, name, n] of info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) {
          if (!CLUSTER_OWN.has(name)) calls[name] = (calls[name] ?? 0) + Number(n);
        }
      }
      return calls;
    },
    freeze: notHere('freeze'),
    thaw: notHere('thaw'),
    kill: notHere('kill'),
    restart: notHere('restart'),
    async stop() {
      client.disconnect();
      await cluster.stop();
    },
  };
}
