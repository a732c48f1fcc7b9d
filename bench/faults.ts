/**
 * `npm run bench:faults [-- --quick]`: latency under faults (the timings the fault tests of
 * test/faults/ leave out: they assert counts and hang bounds). Two gateway processes
 * (CACHE=l1+l2) over a database and a redis-server of the bench's own, Postgres reached
 * through a TCP proxy the bench can freeze or cut, take bench:cache's read mix and 2% writes
 * on 16 connections. For each fault: a window before it, a window while it strikes (it begins a
 * second in, lasts FAULT_MS, then is healed), and a window after. Per window: req/s,
 * p50/p95/p99/max latency, and failed requests (a failure is an answer with errors: while
 * Postgres is away, what no tier holds fails with SERVICE_UNAVAILABLE by design).
 * Writes bench/results/faults.md (faults-quick.md with --quick).
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../src/config.js';
import { createTestDatabase } from '../test/helpers/testDb.js';
import { startTestRedis } from '../test/helpers/testRedis.js';
import { startTcpProxy } from '../test/support/tcpProxy.js';
import { each, engineRequests, load, percentile, standardMix, startServer, zipfSampler, type BenchServer, type LoadResult, type Request } from './workload.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const SCALE = values.quick ? 0.1 : 0.3;
const WINDOW_MS = values.quick ? 4000 : 8000;
const FAULT_MS = values.quick ? 2000 : 4000;
const CONNECTIONS = 16;

const database = await createTestDatabase({ scale: SCALE });
const redis = await startTestRedis();
const postgres = new URL(database.url);
const proxy = await startTcpProxy({ host: postgres.hostname, port: Number(postgres.port || 5432) });
const viaProxy = new URL(database.url);
viaProxy.port = String(proxy.port);
const env = { DATABASE_URL: viaProxy.toString(), REDIS_URL: redis.url, PG_CONNECT_TIMEOUT_MS: '1000', PG_QUERY_TIMEOUT_MS: '2000' };
const servers: BenchServer[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Fault {
  name: string;
  /** Starts the fault; resolves with what heals it. */
  strike(): Promise<() => Promise<void>>;
}

const FAULTS: Fault[] = [
  { name: 'Redis killed, restarted empty', strike: async () => (await redis.kill(), () => redis.restart()) },
  { name: 'Redis paused (CLIENT PAUSE)', strike: async () => (await redis.client.call('CLIENT', 'PAUSE', String(FAULT_MS), 'ALL'), async () => undefined) },
  { name: 'Redis frozen (SIGSTOP)', strike: async () => (redis.freeze(), async () => redis.thaw()) },
  { name: 'pub/sub connections killed', strike: async () => (await redis.client.client('KILL', 'TYPE', 'pubsub'), async () => undefined) },
  { name: 'Postgres frozen (black hole)', strike: async () => (proxy.blackHole(), async () => proxy.restore()) },
  { name: 'Postgres down (connections cut)', strike: async () => (proxy.cut(), async () => proxy.restore()) },
];

/** The reads of bench:cache's mix, and 2% writes (a candidate's title), as the standard workload has. */
function mixWithWrites(): () => Request {
  const reads = standardMix(SCALE);
  const candidateId = zipfSampler(Math.round(5000 * SCALE));
  let n = 0;
  return () =>
    Math.random() < 0.02
      ? { query: 'mutation Write($id: ID!, $title: String!) { updateCandidate(id: $id, input: { title: $title }) { id } }', variables: { id: String(candidateId()), title: `faults bench ${n++}` } }
      : reads();
}

interface Row {
  fault: string;
  phase: 'before' | 'during' | 'after';
  result: LoadResult;
}

try {
  const [a, b] = await Promise.all([startServer('l1+l2', env), startServer('l1+l2', env)]);
  servers.push(a, b);
  const urls = [a.url, b.url];
  process.stderr.write('bench: faults, warming both instances… ');
  const keys = engineRequests(1, Math.round(1000 * SCALE));
  await Promise.all([each(a.url, keys), each(b.url, keys)]);
  process.stderr.write('done\n');

  const rows: Row[] = [];
  for (const [i, fault] of FAULTS.entries()) {
    process.stderr.write(`bench: faults ${i + 1}/${FAULTS.length}: ${fault.name}: before… `);
    rows.push({ fault: fault.name, phase: 'before', result: await load(urls, WINDOW_MS, mixWithWrites(), CONNECTIONS) });
    process.stderr.write('during… ');
    const during = load(urls, WINDOW_MS, mixWithWrites(), CONNECTIONS);
    await sleep(1000);
    const heal = await fault.strike();
    await sleep(FAULT_MS);
    await heal();
    rows.push({ fault: fault.name, phase: 'during', result: await during });
    process.stderr.write('after… ');
    rows.push({ fault: fault.name, phase: 'after', result: await load(urls, WINDOW_MS, mixWithWrites(), CONNECTIONS) });
    process.stderr.write('done\n');
    await sleep(3000); // the instances trust their L1 again (invalidate.ts RESUME_AFTER_MS)
  }

  const line = ({ fault, phase, result }: Row) => {
    const sorted = [...result.latenciesMs].sort((x, y) => x - y);
    const ms = (p: number) => percentile(sorted, p).toFixed(1);
    return `| ${phase === 'before' ? fault : ''} | ${phase} | ${Math.round(sorted.length / result.seconds)} | ${ms(50)} | ${ms(95)} | ${ms(99)} | ${sorted[sorted.length - 1].toFixed(0)} | ${result.errors} |`;
  };
  const report = `# Latency under faults${values.quick ? ' (quick)' : ''}

${new Date().toISOString()} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'} · ${Math.round(os.totalmem() / 2 ** 30)} GiB · Node ${process.version}

Two gateway processes (CACHE=l1+l2, BUS_HEARTBEAT_MS=500) over a database at scale ${SCALE} and a redis-server of the bench's own; Postgres through a TCP proxy.
bench:cache's read mix and 2% writes (a candidate's title) on ${CONNECTIONS} connections split over both. Each window lasts ${WINDOW_MS / 1000} s; in "during", the fault begins 1 s in and lasts ${FAULT_MS / 1000} s.
Failed: answers with errors (while Postgres is away, reads no tier holds and every write fail with SERVICE_UNAVAILABLE, by design; with Redis away, nothing should fail).
While Redis is frozen or paused, a write waits for its invalidation's deadline (1 s), and the first writes after the fault begins also wait until every instance's bus heartbeat must have noticed (2.5 s): the max column shows it.
Everything shares the machine's cores. Reproduce: \`npm run bench:faults${values.quick ? ' -- --quick' : ''}\`.

| fault | window | req/s | p50 ms | p95 ms | p99 ms | max ms | failed |
|---|---|---:|---:|---:|---:|---:|---:|
${rows.map(line).join('\n')}
`;
  const file = path.join(projectRoot, 'bench', 'results', values.quick ? 'faults-quick.md' : 'faults.md');
  await writeFile(file, report);
  process.stdout.write(report);
  process.stderr.write(`bench: faults written to ${path.relative(projectRoot, file)}\n`);
} finally {
  for (const server of servers) server.child.kill('SIGKILL');
  redis.thaw();
  proxy.restore();
  await proxy.close();
  await redis.stop();
  await database.drop();
}
