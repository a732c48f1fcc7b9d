/**
 * `npm run bench:warming [-- --quick]`: the first 30 s after a cold start, with and without
 * cache warming (CACHE_WARM). Each run: an empty redis-server of the bench's own, a new gateway
 * process (CACHE=l1+l2), and the standard mix on 32 connections from the moment it listens.
 * Measured as clients see it, in 5 s windows: the share of answers the response tier gave
 * whole (they carry an Age header), requests/s and p50/p99. The gateway's own lookup counters
 * would count the warm-up's requests with the clients', so the hit rates below are the
 * clients' alone; the warm-up's cost shows in the SQL statements (pg_stat_database, the
 * warm-up's included). Writes bench/results/warming.md (warming-quick.md with --quick).
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { projectRoot } from '../src/config.js';
import { createTestDatabase } from '../test/helpers/testDb.js';
import { startTestRedis } from '../test/helpers/testRedis.js';
import { CONNECTIONS, percentile, startServer } from './workload.js';
import { standardWorkload, type RankedIds } from './standardWorkload.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const SCALE = values.quick ? 0.1 : 0.5;
const WINDOW_MS = 5000;
const DURATION_MS = values.quick ? 15_000 : 30_000;
const HEAD_START_MS = values.quick ? 5000 : 10_000;

interface Window {
  requests: number;
  wholeFromResponseTier: number;
  latenciesMs: number[];
  errors: number;
}

const database = await createTestDatabase({ scale: SCALE });
const redis = await startTestRedis();
const ranked = await popularFirst(database.db);
/** Traffic from the moment the gateway listens, or after a head start (a load balancer that waits for readiness and registration). */
const SCENARIOS = [
  { warm: false, headStartMs: 0 },
  { warm: true, headStartMs: 0 },
  { warm: false, headStartMs: HEAD_START_MS },
  { warm: true, headStartMs: HEAD_START_MS },
];
const label = (r: { warm: boolean; headStartMs: number }) => `warming ${r.warm ? 'on' : 'off'}${r.headStartMs ? `, traffic after ${r.headStartMs / 1000} s` : ''}`;
const results: Array<{ warm: boolean; headStartMs: number; windows: Window[]; statements: number; total: Window }> = [];
try {
  for (const { warm, headStartMs } of SCENARIOS) {
    await redis.client.flushall();
    process.stderr.write(`bench: ${label({ warm, headStartMs })}: cold start… `);
    const statementsBefore = await transactions(database.url);
    const server = await startServer('l1+l2', { DATABASE_URL: database.url, REDIS_URL: redis.url, CACHE_WARM: String(warm) });
    try {
      await new Promise((r) => setTimeout(r, headStartMs));
      const windows: Window[] = Array.from({ length: DURATION_MS / WINDOW_MS }, () => ({ requests: 0, wholeFromResponseTier: 0, latenciesMs: [], errors: 0 }));
      const began = performance.now();
      const next = standardWorkload(SCALE, ranked);
      await Promise.all(
        Array.from({ length: CONNECTIONS }, async () => {
          for (;;) {
            const started = performance.now();
            if (started - began >= DURATION_MS) return;
            const window = windows[Math.floor((started - began) / WINDOW_MS)];
            try {
              const { query, variables } = next();
              const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
              const body = await res.json();
              if (res.status !== 200 || body.errors) window.errors++;
              if (res.headers.has('age')) window.wholeFromResponseTier++;
            } catch {
              window.errors++;
            }
            window.requests++;
            window.latenciesMs.push(performance.now() - started);
          }
        }),
      );
      const statements = (await transactions(database.url)) - statementsBefore;
      const total: Window = {
        requests: windows.reduce((n, w) => n + w.requests, 0),
        wholeFromResponseTier: windows.reduce((n, w) => n + w.wholeFromResponseTier, 0),
        latenciesMs: windows.flatMap((w) => w.latenciesMs),
        errors: windows.reduce((n, w) => n + w.errors, 0),
      };
      results.push({ warm, headStartMs, windows, statements, total });
      process.stderr.write(`${Math.round((100 * total.wholeFromResponseTier) / total.requests)}% whole from the response tier\n`);
    } finally {
      server.child.kill('SIGKILL');
    }
  }

  const pct = (w: Window) => `${((100 * w.wholeFromResponseTier) / Math.max(1, w.requests)).toFixed(1)}%`;
  const ms = (w: Window, p: number) => percentile([...w.latenciesMs].sort((x, y) => x - y), p).toFixed(1);
  const header = results[0].windows.map((_, i) => `${(i * WINDOW_MS) / 1000}–${((i + 1) * WINDOW_MS) / 1000} s`);
  const labelOf = label;
  const row = (label: string, cell: (w: Window) => string) =>
    results.map((r) => `| ${label}, ${labelOf(r)} | ${r.windows.map(cell).join(' | ')} | ${cell(r.total)} |`).join('\n');
  const report = `# Cache warming: the first ${DURATION_MS / 1000} s after a cold start

${new Date().toISOString()} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'} · ${Math.round(os.totalmem() / 2 ** 30)} GiB · Node ${process.version}
Seed scale ${SCALE}; one gateway process (CACHE=l1+l2) started on an empty Redis, the standard workload (the contract's
operations, 2% writes, Zipf ranks given to ids by popularity) on ${CONNECTIONS} connections from the moment it listens, with and
without CACHE_WARM (the warm-up asks,
4 at a time, the popular movies, each sector's most matched jobs and their best candidates, the power users'
recommendations and profiles, the most matched candidates and their top matches, as the first-party client asks them).

| | ${header.join(' | ')} | all |
| --- | ${header.map(() => '---:').join(' | ')} | ---: |
${row('answers whole from the response tier', pct)}
${row('req/s', (w) => String(Math.round(w.requests / ((results.some((r) => r.total === w) ? DURATION_MS : WINDOW_MS) / 1000))))}
${row('p50 ms', (w) => ms(w, 50))}
${row('p99 ms', (w) => ms(w, 99))}

Errors: ${results.map((r) => `${r.total.errors} (${label(r)})`).join(', ')}. Postgres transactions over the run (the
warm-up's included): ${results.map((r) => `${r.statements.toLocaleString('en')} (${label(r)}: ${(r.statements / r.total.requests).toFixed(3)} per client request)`).join(', ')}.
Windows count from the first client request.
The share is of the clients' requests answered whole by the response tier (an Age header), the tier that the
warm-up fills last (it fills L1 and L2 on the way): a lower bound of what the cache answered.
`;
  await writeFile(path.join(projectRoot, 'bench/results', values.quick ? 'warming-quick.md' : 'warming.md'), report);
  console.log(report);
} finally {
  await redis.stop();
  await database.drop();
}

/** Every id of each kind, the most popular first (ties by id). */
async function popularFirst(db: Pick<pg.Pool, 'query'>): Promise<RankedIds> {
  const ids = async (sql: string) => (await db.query<{ id: number }>(sql)).rows.map((r) => String(r.id));
  const recentMatches = (column: string) => `(SELECT ${column}, count(*) AS n FROM matches WHERE computed_at > now() - interval '1 day' GROUP BY ${column})`;
  return {
    movies: await ids('SELECT m.id FROM movies m LEFT JOIN movie_stats s ON s.movie_id = m.id ORDER BY s.rating_count DESC NULLS LAST, m.id'),
    users: await ids('SELECT u.id FROM users u LEFT JOIN (SELECT user_id, count(*) AS n FROM ratings GROUP BY user_id) r ON r.user_id = u.id ORDER BY r.n DESC NULLS LAST, u.id'),
    candidates: await ids(`SELECT c.id FROM candidates c LEFT JOIN ${recentMatches('candidate_id')} m ON m.candidate_id = c.id ORDER BY m.n DESC NULLS LAST, c.id`),
    jobs: await ids(`SELECT j.id FROM jobs j LEFT JOIN ${recentMatches('job_id')} m ON m.job_id = j.id ORDER BY m.n DESC NULLS LAST, j.id`),
  };
}

/** Transactions committed in the bench's database so far (a statement outside a transaction is one). */
async function transactions(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>('SELECT xact_commit::text AS n FROM pg_stat_database WHERE datname = current_database()');
    return Number(rows[0].n);
  } finally {
    await client.end();
  }
}
