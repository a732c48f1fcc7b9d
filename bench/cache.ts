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
  CONNECTIONS, cacheLookups, each, engineRequests as engineRequestsOf, entityRequests, hitRate, load, percentile, standardMix, startServer, withCpu,
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
const rows: Array<{ mode: string; round: number; rps: number; p50: number; p95: number; p99: number; errors: number; cpuUs?: number; l1HitRate?: number }> = [];
/**
 * Each part runs its servers in turns, this many rounds: on a shared machine one run may be
 * slowed by the other processes, so each ratio is read within a round, between runs side by
 * side, and the median over the rounds is reported.
 */
const ROUNDS = values.quick ? 1 : 3;
const engineRows: Array<{ mode: string; round: number; rps: number; p50: number; p99: number; errors: number; cpuUs?: number }> = [];
try {
  const runs = Array.from({ length: ROUNDS }, (_, i) => MODES.map((mode) => ({ mode, round: i + 1 }))).flat();
  for (const { mode, round } of runs) {
    await redis.client.flushdb(); // our own redis-server: nothing else lives there
    const server = await startServer(mode, { DATABASE_URL: database.url, REDIS_URL: redis.url });
    try {
      // Warm: every key the mix can ask for once (its Zipf tail would otherwise keep meeting
      // keys never fetched, and the warm path would be measured with misses in it), then the mix.
      process.stderr.write(`bench: ${mode.padEnd(8)} round ${round}/${ROUNDS} warming up: ${everyKey.length} requests over every key, then ${WARMUP_MS} ms of the mix… `);
      await each(server.url, everyKey);
      await load(server.url, WARMUP_MS, nextRequest);
      process.stderr.write(`measuring ${MEASURE_MS} ms with ${CONNECTIONS} connections… `);
      const lookupsBefore = await cacheLookups(server.url);
      const { latenciesMs, errors, cpuUsPerRequest } = await withCpu(server.child, () => load(server.url, MEASURE_MS, nextRequest));
      const l1 = hitRate(lookupsBefore, await cacheLookups(server.url), 'l1');
      const sorted = latenciesMs.sort((a, b) => a - b);
      const row = {
        mode, round, rps: latenciesMs.length / (MEASURE_MS / 1000), p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), errors,
        cpuUs: cpuUsPerRequest, l1HitRate: l1,
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
  const engineRuns: Array<{ mode: 'ceiling' | 'off' | 'l1+l2'; round: number }> = [{ mode: 'ceiling', round: 0 }];
  for (let round = 1; round <= ROUNDS; round++) engineRuns.push({ mode: 'off', round }, { mode: 'l1+l2', round });
  for (const { mode, round } of engineRuns) {
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
      process.stderr.write(`bench: engine   ${mode.padEnd(8)} ${round ? `round ${round}/${ROUNDS} ` : ''}warm-up, then ${requests.length} requests, each key once… `);
      await each(server.url, warmUps);
      const { latenciesMs, errors, seconds, cpuUsPerRequest } = await withCpu(server.child, () => each(server.url, requests));
      const sorted = latenciesMs.sort((a, b) => a - b);
      engineRows.push({ mode, round, rps: latenciesMs.length / seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99), errors, cpuUs: cpuUsPerRequest });
      process.stderr.write(`${Math.round(latenciesMs.length / seconds)} req/s\n`);
    } finally {
      server.child.kill('SIGKILL');
    }
  }
} finally {
  await redis.stop();
  await database.drop();
}

const inRound = (mode: string, round: number) => rows.find((r) => r.mode === mode && r.round === round)!;
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
/** A mode's req/s over the ceiling's, per round, and their median. */
const overCeiling = (mode: string) => {
  const ratios = rows.filter((r) => r.mode === mode).map((r) => r.rps / inRound('ceiling', r.round).rps);
  return `${ratios.map((x) => x.toFixed(2)).join(', ')} (median ${median(ratios).toFixed(2)})`;
};
/** The ceiling's CPU per request over this one's: the share of the ceiling's efficiency reached. */
const cpuRatio = (r: { cpuUs?: number }, base: { cpuUs?: number }) => (r.cpuUs && base.cpuUs ? (base.cpuUs / r.cpuUs).toFixed(2) : 'n/a');
const cpuCell = (r: { cpuUs?: number }) => (r.cpuUs === undefined ? 'n/a' : String(Math.round(r.cpuUs)));
const table = [
  '| round | server | req/s | vs ceiling | vs CACHE=off | server CPU µs/req | CPU vs ceiling | L1 hit rate | p50 ms | p95 ms | p99 ms | errors |',
  '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map((r) =>
    `| ${r.round} | ${r.mode === 'ceiling' ? 'ceiling (rows in memory)' : `CACHE=${r.mode}`} | ${Math.round(r.rps)} | ${(r.rps / inRound('ceiling', r.round).rps).toFixed(2)} | ${(r.rps / inRound('off', r.round).rps).toFixed(2)} | ${cpuCell(r)} | ${cpuRatio(r, inRound('ceiling', r.round))} | ${r.l1HitRate === undefined ? 'n/a' : `${(100 * r.l1HitRate).toFixed(1)}%`} | ${r.p50.toFixed(2)} | ${r.p95.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.errors} |`,
  ),
].join('\n');
/** CACHE=off's req/s in `round`: each l1+l2 run is compared with the off run beside it. */
const engineOff = (round: number) => engineRows.find((r) => r.mode === 'off' && r.round === round)!.rps;
const coldOverOff = engineRows.filter((r) => r.mode === 'l1+l2').map((r) => r.rps / engineOff(r.round));
const medianColdOverOff = median(coldOverOff);
const engineCeilingRow = engineRows.find((r) => r.mode === 'ceiling')!;
const engineCeiling = engineCeilingRow.rps;
const engineName = (mode: string) =>
  mode === 'ceiling' ? 'ceiling (rows in memory)' : mode === 'off' ? 'CACHE=off' : 'CACHE=l1+l2, cold L1, warm Redis';
const engineTable = [
  '| round | server | req/s | vs ceiling | vs CACHE=off (same round) | server CPU µs/req | CPU vs ceiling | p50 ms | p99 ms | errors |',
  '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...engineRows.map((r) =>
    `| ${r.round || '–'} | ${engineName(r.mode)} | ${Math.round(r.rps)} | ${(r.rps / engineCeiling).toFixed(2)} | ${r.mode === 'ceiling' ? '–' : (r.rps / engineOff(r.round)).toFixed(2)} | ${cpuCell(r)} | ${cpuRatio(r, engineCeilingRow)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.errors} |`,
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
over the measured window. The servers run in turns, ${ROUNDS} round(s); ratios are to the ceiling of the same round.

${table}

The warm path over the ceiling, per round: CACHE=l1 ${overCeiling('l1')}; CACHE=l1+l2 ${overCeiling('l1+l2')}.

## 2. Recommendations and top matches, cold L1

${ENGINE_KEYS} users' recommendations and ${ENGINE_KEYS} candidates' top matches, each asked once in a shuffled order
(after the same warm-up on ${ENGINE_KEYS} other users and candidates). For l1+l2 another instance computed
them all into Redis first: every answer of the measured instance comes from L2, none from its (cold) L1.
CACHE=off and l1+l2 run in turns, ${ROUNDS} round(s); each l1+l2 run is compared with the off run of its round.

${engineTable}

CACHE=l1+l2 with a cold L1 over CACHE=off, per round: ${coldOverOff.map((x) => x.toFixed(2)).join(', ')}; median ${medianColdOverOff.toFixed(2)}.
`;
await writeFile(path.join(projectRoot, 'bench/results', values.quick ? 'cache-quick.md' : 'cache.md'), report);
console.log(report);
