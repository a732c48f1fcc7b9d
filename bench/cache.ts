/**
 * `npm run bench:cache [-- --quick]`: the same query mix against the gateway with CACHE=off,
 * l1 and l1+l2, and against the execution ceiling (constant resolvers), each server a child
 * process on this machine; requests/s and latency percentiles, as ratios to the ceiling.
 * Writes bench/results/cache.md. Its own database and redis-server; nothing shared is touched.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../src/config.js';
import { createTestDatabase } from '../test/helpers/testDb.js';
import { startTestRedis } from '../test/helpers/testRedis.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const SCALE = values.quick ? 0.1 : 0.5;
const WARMUP_MS = values.quick ? 1000 : 3000;
const MEASURE_MS = values.quick ? 3000 : 10_000;
const CONNECTIONS = 32;
const MODES = ['ceiling', 'off', 'l1', 'l1+l2'] as const;

/** Zipf(s = 1) over 1..n: a few ids are asked for far more than the rest, as in seed 004. */
function zipfSampler(n: number): () => number {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let k = 1; k <= n; k++) cumulative[k - 1] = total += 1 / k;
  return () => {
    const x = Math.random() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return lo + 1;
  };
}

const movieId = zipfSampler(Math.round(10000 * SCALE));
const candidateId = zipfSampler(Math.round(5000 * SCALE));
const CARD = 'id title year genres avgRating ratingCount';
/** The mix: [weight, query, variables]. Only fields the cache serves today (recommendations and matches are not cached yet). */
const MIX: Array<[number, () => { query: string; variables?: Record<string, unknown> }]> = [
  [60, () => ({ query: `query Movie($id: ID!) { movie(id: $id) { ${CARD} } }`, variables: { id: String(movieId()) } })],
  [15, () => ({ query: `query Movies($ids: [ID!]!) { movies(ids: $ids) { ${CARD} } }`, variables: { ids: Array.from({ length: 20 }, () => String(movieId())) } })],
  [10, () => ({ query: `query PopularMovies { popularMovies(limit: 20) { ${CARD} } }` })],
  [10, () => ({ query: `query Candidate($id: ID!) { candidate(id: $id) { id name title skills location { city } } }`, variables: { id: String(candidateId()) } })],
  [5, () => ({ query: 'query TravelTime { travelTime(from: {lat: 48.8566, lng: 2.3522}, to: {lat: 45.764, lng: 4.8357}) { minutes } }' })],
];
const totalWeight = MIX.reduce((s, [w]) => s + w, 0);
function nextRequest() {
  let x = Math.random() * totalWeight;
  for (const [w, make] of MIX) if ((x -= w) < 0) return make();
  return MIX[0][1]();
}

async function startServer(mode: string, env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/server.ts'], {
    cwd: projectRoot,
    env: { ...process.env, ...env, BENCH_MODE: mode },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`server ${mode} exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}/graphql`, child };
}

async function load(url: string, durationMs: number): Promise<{ latenciesMs: number[]; errors: number }> {
  const latenciesMs: number[] = [];
  let errors = 0;
  const deadline = Date.now() + durationMs;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (Date.now() < deadline) {
        const started = performance.now();
        try {
          const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(nextRequest()) });
          const body = await res.json();
          if (res.status !== 200 || body.errors) errors++;
        } catch {
          errors++;
        }
        latenciesMs.push(performance.now() - started);
      }
    }),
  );
  return { latenciesMs, errors };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const database = await createTestDatabase({ scale: SCALE });
const redis = await startTestRedis();
const rows: Array<{ mode: string; rps: number; p50: number; p95: number; p99: number; errors: number }> = [];
try {
  for (const mode of MODES) {
    await redis.client.flushdb(); // our own redis-server: nothing else lives there
    const server = await startServer(mode, { DATABASE_URL: database.url, REDIS_URL: redis.url });
    try {
      process.stderr.write(`bench: ${mode.padEnd(8)} warming up ${WARMUP_MS} ms… `);
      await load(server.url, WARMUP_MS);
      process.stderr.write(`measuring ${MEASURE_MS} ms with ${CONNECTIONS} connections… `);
      const { latenciesMs, errors } = await load(server.url, MEASURE_MS);
      const sorted = latenciesMs.sort((a, b) => a - b);
      const row = { mode, rps: latenciesMs.length / (MEASURE_MS / 1000), p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), errors };
      rows.push(row);
      process.stderr.write(`${Math.round(row.rps)} req/s\n`);
    } finally {
      server.child.kill('SIGKILL');
    }
  }
} finally {
  await redis.stop();
  await database.drop();
}

const ceiling = rows.find((r) => r.mode === 'ceiling')!.rps;
const off = rows.find((r) => r.mode === 'off')!.rps;
const table = [
  '| server | req/s | vs ceiling | vs CACHE=off | p50 ms | p95 ms | p99 ms | errors |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map((r) =>
    `| ${r.mode === 'ceiling' ? 'ceiling (constant resolvers)' : `CACHE=${r.mode}`} | ${Math.round(r.rps)} | ${(r.rps / ceiling).toFixed(2)} | ${(r.rps / off).toFixed(2)} | ${r.p50.toFixed(2)} | ${r.p95.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.errors} |`,
  ),
].join('\n');
const report = `# Cache benchmark

${new Date().toISOString()} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'} · ${Math.round(os.totalmem() / 2 ** 30)} GiB · Node ${process.version}
Seed scale ${SCALE}; ${CONNECTIONS} connections; ${WARMUP_MS} ms warm-up, ${MEASURE_MS} ms measured per server; load generator in the parent process.
Mix: 60% movie (Zipf ids), 15% movies (20 Zipf ids), 10% popularMovies(20), 10% candidate (Zipf), 5% travelTime.
Recommendations and matches are not in the mix: they are not cached yet (issue 3).

${table}
`;
await writeFile(path.join(projectRoot, 'bench/results', values.quick ? 'cache-quick.md' : 'cache.md'), report);
console.log(report);
