/**
 * A redis-server of the test's own, on a free loopback port, with nothing persisted; stopped
 * (by its PID) at the end. Tests may freeze and thaw it (SIGSTOP/SIGCONT), or kill it and
 * start it again on the same port, without touching anyone else's Redis.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './ports.js';

export interface TestRedis {
  url: string;
  /** A client of the test's own, for looking from the outside. */
  client: Redis;
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
