/**
 * `npm run bench:cache [-- --quick]`, in two parts, each server a child process on this
 * machine, with its own database and redis-server (nothing shared is touched):
 *  1. the same query mix against the gateway with CACHE=off, l1 and l1+l2, and against the
 *     execution ceiling (constant resolvers): requests/s and latency percentiles;
 *  2. the engine's queries (recommendations, topMatches) with a cold L1: one instance fills
 *     Redis, a fresh one then answers each key once, so every answer comes from L2;
 *     against CACHE=off answering the same requests.
 * Reports req/s, latency percentiles and server CPU per request. Writes bench/results/cache.md
 * (cache-quick.md with --quick).
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../src/config.js';
import { createTestDatabase } from '../test/helpers/testDb.js';
import { startTestRedis } from '../test/helpers/testRedis.js';
import {
  CONNECTIONS, cacheLookups, each, engineRequests as engineRequestsOf, entityRequests, l1HitRate, load, percentile, standardMix, startServer, withCpu,
} from './workload.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const SCALE = values.quick ? 0.1 : 0.5;
const WARMUP_MS = values.quick ? 1000 : 3000;
const MEASURE_MS = values.quick ? 3000 : 10_000;
const MODES = ['ceiling', 'off', 'l1', 'l1+l2'] as const;
const nextRequest = standardMix(SCALE);
/** Part 2: each user's recommendations and each candidate's top matches, once, in a shuffled order. */
const ENGINE_KEYS = values.quick ? 200 : 1000;
const engineRequests = (from = 1, to = ENGINE_KEYS) => engineRequestsOf(from, to);

const database = await createTestDatabase({ scale: SCALE });
const redis = await startTestRedis();
/** Every key the mix can ask for: the warm-up asks for each once. */
const everyKey = [...engineRequests(1, Math.round(5000 * SCALE)), ...entityRequests(SCALE)];
const rows: Array<{ mode: string; rps: number; p50: number; p95: number; p99: number; errors: number; cpuUs?: number; l1HitRate?: number }> = [];
const engineRows: Array<{ mode: string; rps: number; p50: number; p99: number; errors: number; cpuUs?: number }> = [];
try {
  for (const mode of MODES) {
    await redis.client.flushdb(); // our own redis-server: nothing else lives there
    const server = await startServer(mode, { DATABASE_URL: database.url, REDIS_URL: redis.url });
    try {
      // Warm: every key the mix can ask for once (its Zipf tail would otherwise keep meeting
      // keys never fetched, and the warm path would be measured with misses in it), then the mix.
      process.stderr.write(`bench: ${mode.padEnd(8)} warming up: ${everyKey.length} requests over every key, then ${WARMUP_MS} ms of the mix… `);
      await each(server.url, everyKey);
      await load(server.url, WARMUP_MS, nextRequest);
      process.stderr.write(`measuring ${MEASURE_MS} ms with ${CONNECTIONS} connections… `);
      const lookupsBefore = await cacheLookups(server.url);
      const { latenciesMs, errors, cpuUsPerRequest } = await withCpu(server.child, () => load(server.url, MEASURE_MS, nextRequest));
      const hitRate = l1HitRate(lookupsBefore, await cacheLookups(server.url));
      const sorted = latenciesMs.sort((a, b) => a - b);
      const row = {
        mode, rps: latenciesMs.length / (MEASURE_MS / 1000), p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), errors,
        cpuUs: cpuUsPerRequest, l1HitRate: hitRate,
      };
      rows.push(row);
      process.stderr.write(`${Math.round(row.rps)} req/s\n`);
    } finally {
      server.child.kill('SIGKILL');
    }
  }

  // Measured on users and candidates 1..K; the warm-up (model and index loaded, JIT warm, the
  // same code path) on K+1..2K.
  const requests = engineRequests();
  const warmUps = engineRequests(ENGINE_KEYS + 1, 2 * ENGINE_KEYS);
  for (const mode of ['ceiling', 'off', 'l1+l2'] as const) {
    await redis.client.flushdb();
    const env = { DATABASE_URL: database.url, REDIS_URL: redis.url };
    if (mode === 'l1+l2') {
      // Another instance computes every answer into Redis first.
      const filler = await startServer(mode, env);
      process.stderr.write(`bench: engine   filling Redis from another instance (${requests.length + warmUps.length} keys)… `);
      await each(filler.url, [...requests, ...warmUps]);
      filler.child.kill('SIGKILL');
      process.stderr.write('done\n');
    }
    const server = await startServer(mode, env);
    try {
      process.stderr.write(`bench: engine   ${mode.padEnd(8)} warm-up, then ${requests.length} requests, each key once… `);
      await each(server.url, warmUps);
      const { latenciesMs, errors, seconds, cpuUsPerRequest } = await withCpu(server.child, () => each(server.url, requests));
      const sorted = latenciesMs.sort((a, b) => a - b);
      engineRows.push({ mode, rps: latenciesMs.length / seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99), errors, cpuUs: cpuUsPerRequest });
      process.stderr.write(`${Math.round(latenciesMs.length / seconds)} req/s\n`);
    } finally {
      server.child.kill('SIGKILL');
    }
  }
} finally {
  await redis.stop();
  await database.drop();
}

const ceilingRow = rows.find((r) => r.mode === 'ceiling')!;
const off = rows.find((r) => r.mode === 'off')!.rps;
/** The ceiling's CPU per request over this one's: the share of the ceiling's efficiency reached. */
const cpuRatio = (r: { cpuUs?: number }, base: { cpuUs?: number }) => (r.cpuUs && base.cpuUs ? (base.cpuUs / r.cpuUs).toFixed(2) : 'n/a');
const cpuCell = (r: { cpuUs?: number }) => (r.cpuUs === undefined ? 'n/a' : String(Math.round(r.cpuUs)));
const table = [
  '| server | req/s | vs ceiling | vs CACHE=off | server CPU µs/req | CPU vs ceiling | L1 hit rate | p50 ms | p95 ms | p99 ms | errors |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map((r) =>
    `| ${r.mode === 'ceiling' ? 'ceiling (rows in memory)' : `CACHE=${r.mode}`} | ${Math.round(r.rps)} | ${(r.rps / ceilingRow.rps).toFixed(2)} | ${(r.rps / off).toFixed(2)} | ${cpuCell(r)} | ${cpuRatio(r, ceilingRow)} | ${r.l1HitRate === undefined ? 'n/a' : `${(100 * r.l1HitRate).toFixed(1)}%`} | ${r.p50.toFixed(2)} | ${r.p95.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.errors} |`,
  ),
].join('\n');
const engineOff = engineRows.find((r) => r.mode === 'off')!.rps;
const engineCeilingRow = engineRows.find((r) => r.mode === 'ceiling')!;
const engineCeiling = engineCeilingRow.rps;
const engineName = (mode: string) =>
  mode === 'ceiling' ? 'ceiling (rows in memory)' : mode === 'off' ? 'CACHE=off' : 'CACHE=l1+l2, cold L1, warm Redis';
const engineTable = [
  '| server | req/s | vs ceiling | vs CACHE=off | server CPU µs/req | CPU vs ceiling | p50 ms | p99 ms | errors |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...engineRows.map((r) =>
    `| ${engineName(r.mode)} | ${Math.round(r.rps)} | ${(r.rps / engineCeiling).toFixed(2)} | ${(r.rps / engineOff).toFixed(2)} | ${cpuCell(r)} | ${cpuRatio(r, engineCeilingRow)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.errors} |`,
  ),
].join('\n');
const report = `# Cache benchmark

${new Date().toISOString()} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'} · ${Math.round(os.totalmem() / 2 ** 30)} GiB · Node ${process.version}
Seed scale ${SCALE}; ${CONNECTIONS} connections; ${WARMUP_MS} ms warm-up, ${MEASURE_MS} ms measured per server; load generator in the parent process.

The ceiling is the same gateway (HTTP, Apollo, plugins, metrics) whose resolvers answer from rows
read into memory at start: the same responses, with no fetching, cached or not. The load generator
shares the machine's cores with the server, so req/s ratios understate differences (a cheaper server
leaves more CPU to the generator); server CPU per request, read from /proc, is the steadier figure.

## 1. The query mix, warm

Mix: 50% movie (Zipf ids), 10% movies (20 Zipf ids), 15% recommendations(n: 10) of a Zipf user,
5% popularMovies(20), 8% topMatches(limit: 10) of a Zipf candidate, 8% candidate (Zipf), 4% travelTime.
Warm-up: every key the mix can ask for once (every user's recommendations, every candidate's top matches,
every movie and candidate), then ${WARMUP_MS} ms of the mix. The L1 hit rate is read from the server's /metrics
over the measured window.

${table}

## 2. Recommendations and top matches, cold L1

${ENGINE_KEYS} users' recommendations and ${ENGINE_KEYS} candidates' top matches, each asked once in a shuffled order
(after the same warm-up on ${ENGINE_KEYS} other users and candidates). For l1+l2 another instance computed
them all into Redis first: every answer of the measured instance comes from L2, none from its (cold) L1.

${engineTable}
`;
await writeFile(path.join(projectRoot, 'bench/results', values.quick ? 'cache-quick.md' : 'cache.md'), report);
console.log(report);
