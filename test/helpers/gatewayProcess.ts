/**
 * Gateway instances as child processes over one database and one Redis: what several
 * instances of a deployment share, with nothing of their memory shared. Each can be frozen
 * (SIGSTOP) and thawed, and is stopped by its PID at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { projectRoot } from '../../src/config.js';
import { signToken } from '../../src/auth/jwt.js';
import { TEST_GATEWAY_DEFAULTS, TEST_JWT_SECRET, type GraphQLResponse } from './gateway.js';
import { createTestDatabase, type TestDatabase } from './testDb.js';
import { redisEnv, startTestRedis, type TestRedis } from './testRedis.js';

export interface GatewayProcess {
  url: string;
  pid: number;
  post<T = any>(query: string, variables?: Record<string, unknown>, options?: { userId?: number; headers?: Record<string, string> }): Promise<GraphQLResponse<T>>;
  /** The value of a metric line of /metrics (`name` with its labels, as printed), 0 when absent. */
  metric(name: string): Promise<number>;
  freeze(): void;
  thaw(): void;
  /** The process's exit code or signal once it has exited on its own or been stopped; null while it runs. */
  exitStatus(): string | null;
  stop(): Promise<void>;
}

/**
 * Runs `script` (a path under the project) with tsx, `env` on top of this process's, and
 * resolves once its output matches `ready` (default "listening <port>"; the port is its first
 * group); rejects if it exits first. Its stderr is ours, unless `output` collects everything
 * it prints, stdout and stderr.
 */
export async function spawnListening(
  script: string,
  env: Record<string, string>,
  options: { ready?: RegExp; output?: string[] } = {},
): Promise<{ child: ChildProcess; port: number }> {
  const { ready = /listening (\d+)/, output } = options;
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: projectRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', output ? 'pipe' : 'inherit'] });
  child.stderr?.on('data', (chunk) => output!.push(String(chunk)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      output?.push(String(chunk));
      const match = ready.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before listening`)));
  });
  return { child, port };
}

/** Starts an instance over `databaseUrl` (and Redis when `redisUrl`), with `env` on top; `output` collects what it prints. */
export async function startGatewayProcess(options: { databaseUrl: string; redisUrl?: string; env?: Record<string, string>; output?: string[] }): Promise<GatewayProcess> {
  const { child, port } = await spawnListening(
    'test/support/gatewayProcess.ts',
    {
      ...TEST_GATEWAY_DEFAULTS,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      JWT_SECRET: TEST_JWT_SECRET,
      DATABASE_URL: options.databaseUrl,
      ...(options.redisUrl ? redisEnv(options.redisUrl) : {}),
      ...options.env,
    },
    { output: options.output },
  );
  const url = `http://127.0.0.1:${port}/graphql`;
  let exitStatus: string | null = null;
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve((exitStatus = signal ?? `exit code ${code}`))));
  return {
    url,
    pid: child.pid!,
    async post(query, variables, opts = {}) {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers };
      if (opts.userId !== undefined) headers.authorization = `Bearer ${await signToken(opts.userId, TEST_JWT_SECRET)}`;
      const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
      return { status: res.status, headers: res.headers, body: await res.json() };
    },
    async metric(name) {
      const text = await (await fetch(url.replace(/\/graphql$/, '/metrics'))).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      return line ? Number(line.slice(name.length + 1)) : 0;
    },
    freeze: () => void child.kill('SIGSTOP'),
    thaw: () => void child.kill('SIGCONT'),
    exitStatus: () => exitStatus,
    async stop() {
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A deployment of the test's own: a database, a redis-server, and instances over both. */
export interface TestDeployment {
  database: TestDatabase;
  redis: TestRedis;
  instances: GatewayProcess[];
  /** Stops the instances, then drops the database and stops Redis. */
  stop(): Promise<void>;
}

/** `count` gateway processes over a new seeded database and a new redis-server, `env` on each. */
export async function startDeployment(count: number, env: Record<string, string> = {}): Promise<TestDeployment> {
  const redis = await startTestRedis();
  const database = await createTestDatabase({ scale: 0.05 });
  const instances = await Promise.all(
    Array.from({ length: count }, () => startGatewayProcess({ databaseUrl: database.url, redisUrl: redis.url, env })),
  );
  return {
    database,
    redis,
    instances,
    async stop() {
      await Promise.all(instances.map((instance) => instance.stop()));
      await database.drop();
      await redis.stop();
    },
  };
}
