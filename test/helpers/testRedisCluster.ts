/**
 * A Redis Cluster of the test's own: 3 masters and 3 replicas, redis-servers on free loopback
 * ports (each with its cluster bus on port + 10000), nothing persisted but each node's cluster
 * config, in a temp folder. Ready once every node reports `cluster_state:ok` and every replica's
 * `master_link_status:up`. Tests kill or freeze nodes by the PIDs this helper started.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { createServer } from 'node:net';

const run = promisify(execFile);

export interface ClusterNodeProcess {
  port: number;
  /** A plain connection to this node alone, for looking from the outside. */
  client: Redis;
  /** SIGKILL, and waits for the process to exit. */
  kill(): Promise<void>;
  /** SIGSTOP: the node answers nothing, its connections stay open (past cluster-node-timeout, a failover). */
  freeze(): void;
  thaw(): void;
  /** Starts the node again on its port with its cluster config (it rejoins, as a replica if it lost its slots). */
  restart(): Promise<void>;
}

export interface TestRedisCluster {
  /** `127.0.0.1:p1,127.0.0.1:p2,…`: the value of REDIS_CLUSTER_NODES. */
  nodesSetting: string;
  nodes: ClusterNodeProcess[];
  /** The nodes that are masters now (as each says of itself; a killed node is none). */
  masters(): Promise<ClusterNodeProcess[]>;
  /** The node serving `key`'s slot as master now, as the first node that answers sees the cluster. */
  masterOf(key: string): Promise<ClusterNodeProcess>;
  /** Waits until every node agrees the cluster is ok and every replica's link to its master is up. */
  settled(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}


/**
 * `nodeTimeoutMs`: cluster-node-timeout, after which a master that does not answer is failed
 * over (Redis's default is 15 s; 1 s here keeps tests short).
 */
export async function startTestRedisCluster(options: { nodeTimeoutMs?: number } = {}): Promise<TestRedisCluster> {
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 1000;
  const dir = await mkdtemp(path.join(tmpdir(), 'strata-cluster-'));
  const ports: number[] = [];
  const sync = { delaySeconds: 0 };
  const started = await Promise.allSettled(Array.from({ length: 6 }, () => startNodeOnFreePort(dir, ports, nodeTimeoutMs, sync)));
  const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  const nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  if (failed) {
    // Those that started are stopped: a test whose cluster could not start leaves no server behind.
    await Promise.all(nodes.map((node) => node.kill()));
    for (const node of nodes) node.client.disconnect();
    await rm(dir, { recursive: true, force: true });
    throw failed.reason;
  }
  const addresses = ports.map((p) => `127.0.0.1:${p}`);
  await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '1', '--cluster-yes'], { timeout: 30_000 });
  const cluster: TestRedisCluster = {
    nodesSetting: addresses.join(','),
    nodes,
    async masters() {
      const found: ClusterNodeProcess[] = [];
      for (const node of nodes) {
        const role = await node.client.info('replication').catch(() => '');
        if (/role:master/.test(role)) found.push(node);
      }
      return found;
    },
    async masterOf(key) {
      for (const node of nodes) {
        try {
          const slot = await node.client.cluster('KEYSLOT', key);
          const range = (await node.client.cluster('SLOTS')).find(([from, to]) => slot >= from && slot <= to);
          const master = range?.[2];
          if (master) return nodes.find((n) => n.port === master[1])!;
        } catch {
          // a node that is down: ask the next
        }
      }
      throw new Error(`no node knows the master of ${key}'s slot`);
    },
    async settled(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const states = await Promise.all(nodes.map((n) => nodeSettled(n).catch(() => false)));
        if (states.every(Boolean)) return;
        if (Date.now() > deadline) throw new Error(`the test cluster did not settle in ${timeoutMs} ms (nodes ok: ${states.join(',')})`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.kill()));
      for (const n of nodes) n.client.disconnect();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await cluster.settled();
  // From now on as Redis has it by default, for the faults the tests strike (a node restarted
  // as a replica syncs as it would in a deployment).
  sync.delaySeconds = DEFAULT_SYNC_DELAY_SECONDS;
  await Promise.all(nodes.map((n) => n.client.config('SET', 'repl-diskless-sync-delay', String(DEFAULT_SYNC_DELAY_SECONDS))));
  return cluster;
}

/** Redis's own repl-diskless-sync-delay. */
const DEFAULT_SYNC_DELAY_SECONDS = 5;

/**
 * A node on a port no other node of the cluster has (`ports`, which it joins). A port found
 * free may be taken before redis-server binds it; then the server exits at once, and the node
 * starts again on another.
 */
async function startNodeOnFreePort(root: string, ports: number[], nodeTimeoutMs: number, sync: { delaySeconds: number }): Promise<ClusterNodeProcess> {
  for (let attempt = 1; ; attempt++) {
    const port = await nodePort(ports);
    ports.push(port);
    try {
      return await startNode(root, port, nodeTimeoutMs, sync);
    } catch (err) {
      ports.splice(ports.indexOf(port), 1);
      if (!(err instanceof NodeExited) || attempt === 3) throw err;
    }
  }
}

/**
 * A port free now whose cluster-bus port (port + 10000) is free too, both below the range the
 * kernel hands out to outgoing connections (from 32768), where a port found free is taken
 * again the soonest.
 */
async function nodePort(taken: readonly number[]): Promise<number> {
  for (;;) {
    const port = 10_000 + Math.floor(Math.random() * 12_000);
    if (!taken.includes(port) && (await portFree(port)) && (await portFree(port + 10_000))) return port;
  }
}

/** redis-server exited before it answered: its port was taken, most likely. */
class NodeExited extends Error {}

/** `sync.delaySeconds`: the repl-diskless-sync-delay a node (re)started now gets. */
async function startNode(root: string, port: number, nodeTimeoutMs: number, sync: { delaySeconds: number }): Promise<ClusterNodeProcess> {
  const dir = path.join(root, String(port));
  await mkdir(dir);
  const spawnServer = (): ChildProcess =>
    spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
        '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(nodeTimeoutMs),
        // A master waits 5 s by default before a diskless full sync, for more replicas to join
        // it; each has one here, and the cluster's start would wait for nothing. 0 until the
        // cluster has settled (startTestRedisCluster), the default after.
        '--repl-diskless-sync-delay', String(sync.delaySeconds)],
      { stdio: 'ignore' },
    );
  let server = spawnServer();
  const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => 100, enableOfflineQueue: true });
  // Refused connections while a node starts, or after a test killed it, are expected.
  client.on('error', () => undefined);
  const exited = () => (server.exitCode !== null || server.signalCode !== null ? Promise.resolve() : new Promise((r) => server.once('exit', r)));
  try {
    await untilAnswering(client, port, () => server.exitCode !== null);
  } catch (err) {
    client.disconnect();
    server.kill('SIGKILL');
    throw err;
  }
  return {
    port,
    client,
    async kill() {
      server.kill('SIGCONT');
      server.kill('SIGKILL');
      await exited();
    },
    async restart() {
      server = spawnServer();
      await untilAnswering(client, port, () => server.exitCode !== null);
    },
    freeze: () => void server.kill('SIGSTOP'),
    thaw: () => void server.kill('SIGCONT'),
  };
}

/** This node sees the cluster ok, and, if a replica, its link to its master is up. */
async function nodeSettled(node: ClusterNodeProcess): Promise<boolean> {
  const info = (await node.client.cluster('INFO')) as string;
  if (!/cluster_state:ok/.test(info)) return false;
  const replication = await node.client.info('replication');
  return /role:master/.test(replication) || /master_link_status:up/.test(replication);
}

async function untilAnswering(client: Redis, port: number, exited: () => boolean): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await client.ping();
      return;
    } catch (err) {
      if (exited()) throw new NodeExited(`redis-server on port ${port} exited while starting (port taken?)`);
      if (attempt > 50) throw new Error(`redis-server did not start on port ${port}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
