/**
 * `npm run bench`: Strata next to its peers on the same data, the same machine and the same
 * workload (bench/standardWorkload.ts). Each cell — a server, a number of connections, POST or
 * persisted GET — starts from an empty Redis and fresh server processes (two of each, the
 * second to read back writes from another instance), warms up, then measures a window.
 * Figures per cell: req/s, latency percentiles, errors, hit rate per level (Strata's
 * /metrics), SQL statements and Redis commands per request (read from Postgres' and Redis'
 * own counters), CPU per request of the server, Postgres and Redis, and stale reads. Rounds
 * run the cells in turns; the tables give each cell's median over the rounds (10 connections:
 * the first round's).
 *
 * Writes bench/results/peers.md (peers-quick.md with --quick) and a chart beside it.
 * Options: --quick (one round, 100 connections, short windows: about 3 minutes), --rounds N,
 * --only <regexp> (the servers whose name matches; the targets are then not judged).
 */
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { projectRoot } from '../src/config.js';
import { createTestDatabase } from '../test/helpers/testDb.js';
import { startTestRedis } from '../test/helpers/testRedis.js';
import { spawnListening } from '../test/helpers/gatewayProcess.js';
import { cacheLookups, cpuSeconds, hitRate, percentile } from './workload.js';
import { everyKey, hotReads, standardReads, standardWorkload } from './standardWorkload.js';
import { runLoad, type Variant } from './loadgen.js';
import { writeChart } from './chart.js';

const quick = process.argv.includes('--quick');
const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : quick ? 1 : 3;
const SCALE = 0.1;
const CONNECTIONS = quick ? [100] : [10, 100];
/** Where the targets are judged, the persisted GETs and the hot reads measured. */
const TARGET_CONNECTIONS = Math.max(...CONNECTIONS);
const WARM_MS = quick ? 1500 : 2000;
const MEASURE_MS = quick ? 2500 : 3000;
/**
 * Every server runs with the young generation `npm start` gives the gateway (64 MB): the same
 * V8 settings for all, so no server wins by its GC settings alone.
 */
const SERVER_NODE_OPTIONS = '--max-semi-space-size=64';

/** --only <regexp>: the servers whose name matches (while working on some). */
const onlyArg = process.argv.indexOf('--only');
const ONLY = onlyArg > 0 ? new RegExp(process.argv[onlyArg + 1]) : undefined;

interface Server {
  name: string;
  script: string;
  env: Record<string, string>;
  /** Takes persisted GETs (APQ). */
  get?: boolean;
  /** Serves real data, so its stale reads are counted; `'same'`: one instance by design (no shared tier across instances). */
  stale?: 'both' | 'same';
  /** Keeps nothing between requests: nothing to warm up but the process itself. */
  uncached?: boolean;
  strata?: boolean;
}

const SERVERS: Server[] = [
  { name: 'node:http, fixed JSON', script: 'bench/peers/rawHttp.ts', env: {}, get: true, uncached: true },
  { name: 'Apollo 5, constant resolvers', script: 'bench/peers/apollo.ts', env: { PEER_CACHE: 'constant' }, uncached: true },
  { name: 'Mercurius, constant resolvers', script: 'bench/peers/mercurius.ts', env: { PEER_CACHE: 'constant' }, uncached: true },
  { name: 'Apollo 5, no cache', script: 'bench/peers/apollo.ts', env: { PEER_CACHE: 'off' }, stale: 'both', uncached: true },
  { name: 'Apollo 5 + response cache (Redis)', script: 'bench/peers/apollo.ts', env: { PEER_CACHE: 'redis' }, get: true, stale: 'both' },
  { name: 'Yoga 5 + response cache (Redis)', script: 'bench/peers/yoga.ts', env: {}, stale: 'both' },
  { name: 'Mercurius + mercurius-cache (Redis)', script: 'bench/peers/mercurius.ts', env: { PEER_CACHE: 'redis' }, stale: 'both' },
  { name: 'Strata CACHE=off', script: 'bench/server.ts', env: { BENCH_MODE: 'off' }, get: true, stale: 'both', strata: true, uncached: true },
  { name: 'Strata CACHE=l1', script: 'bench/server.ts', env: { BENCH_MODE: 'l1' }, get: true, stale: 'same', strata: true },
  { name: 'Strata CACHE=l1+l2', script: 'bench/server.ts', env: { BENCH_MODE: 'l1+l2' }, get: true, stale: 'both', strata: true },
];

interface Cell {
  server: Server;
  connections: number;
  variant: Variant;
  /** `hot`: hot PUBLIC reads only (standardWorkload.ts hotReads), the fast path's own figure; `reads`: the mix without its writes. */
  workload: 'standard' | 'hot' | 'reads';
}

interface Figures {
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  staleSame: number;
  staleOther: number;
  probes: number;
  sqlPerRequest: number;
  redisPerRequest: number;
  serverCpuUs: number;
  postgresCpuUs: number;
  redisCpuUs: number;
  hitRates?: Record<string, number>;
}

const cells: Cell[] = [];
for (const connections of CONNECTIONS) {
  for (const server of SERVERS.filter((s) => !ONLY || ONLY.test(s.name))) {
    cells.push({ server, connections, variant: 'POST', workload: 'standard' });
    // The persisted-GET variant at the highest concurrency: what a CDN-fronted deployment sends.
    if (server.get && connections === TARGET_CONNECTIONS) cells.push({ server, connections, variant: 'GET', workload: 'standard' });
  }
}
// The mix without its writes, for Strata l1+l2: the steady-state hit rate and SQL per request.
for (const server of SERVERS.filter((s) => s.name === 'Strata CACHE=l1+l2' && (!ONLY || ONLY.test(s.name)))) {
  cells.push({ server, connections: TARGET_CONNECTIONS, variant: 'POST', workload: 'reads' });
}
// Hot persisted GETs, warm: Strata's response tier next to fixed bytes, and Apollo's response cache.
for (const name of ['node:http, fixed JSON', 'Apollo 5 + response cache (Redis)', 'Strata CACHE=l1+l2']) {
  const server = SERVERS.find((s) => s.name === name)!;
  if (!ONLY || ONLY.test(server.name)) cells.push({ server, connections: TARGET_CONNECTIONS, variant: 'GET', workload: 'hot' });
}

const started = Date.now();
const database = await createTestDatabase({ scale: SCALE });
const redis = await startTestRedis();
const redisPid = Number(/process_id:(\d+)/.exec(await redis.client.info('server'))![1]);
const results = new Map<Cell, Figures[]>();
/**
 * The targets are judged at TARGET_CONNECTIONS, on medians of every round; the cells at lower
 * concurrencies are shown from the first round only, so the whole run fits in 15
 * minutes on a machine where a cell takes 15 s.
 */
const inRound = (cell: Cell, round: number) => round === 1 || cell.connections === TARGET_CONNECTIONS;
const total = cells.length + cells.filter((cell) => inRound(cell, 2)).length * (ROUNDS - 1);
let done = 0;
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const cell of cells.filter((c) => inRound(c, round))) {
      const figures = await measure(cell);
      results.set(cell, [...(results.get(cell) ?? []), figures]);
      done++;
      const elapsed = (Date.now() - started) / 1000;
      process.stderr.write(
        `[${done}/${total}] round ${round}: ${cell.server.name}, ${cell.connections} conn, ${label(cell)}: ` +
          `${Math.round(figures.rps)} req/s, p99 ${figures.p99.toFixed(1)} ms, ${figures.errors} errors, stale ${figures.staleSame}+${figures.staleOther}` +
          ` · ${Math.round(elapsed)} s, about ${Math.round((elapsed / done) * (total - done))} s to go\n`,
      );
    }
  }
  report();
} finally {
  await redis.stop();
  await database.drop();
}

async function measure(cell: Cell): Promise<Figures> {
  await redis.client.flushall(); // the bench's own redis-server: every cell starts from an empty Redis
  const env = { DATABASE_URL: database.url, REDIS_URL: redis.url, ...cell.server.env };
  const instances = cell.server.stale === 'both' ? 2 : 1;
  const servers = await Promise.all(Array.from({ length: instances }, () => start(cell.server, env)));
  try {
    const [a, b] = servers;
    const next = cell.workload === 'hot' ? hotReads() : cell.workload === 'reads' ? standardReads(SCALE) : standardWorkload(SCALE);
    // Warm-up: every key once (where something keeps it), then the mix for a while.
    if (cell.workload !== 'hot' && !cell.server.uncached) await runLoad({ url: a.url, connections: cell.connections, durationMs: 60_000, variant: cell.variant, next: everyKey(SCALE) });
    await runLoad({ url: a.url, connections: cell.connections, durationMs: WARM_MS, variant: cell.variant, next });
    const before = await counters(a, cell.server);
    const load = await runLoad({ url: a.url, other: b?.url, connections: cell.connections, durationMs: MEASURE_MS, variant: cell.variant, next });
    const after = await counters(a, cell.server);
    const perRequest = (key: keyof Counters) => ((after[key] as number) - (before[key] as number)) / load.requests;
    return {
      rps: load.requests / load.seconds,
      p50: percentile([...load.latenciesMs], 50),
      p95: percentile([...load.latenciesMs], 95),
      p99: percentile([...load.latenciesMs], 99),
      errors: load.errors,
      staleSame: cell.server.stale ? load.staleSame : NaN,
      staleOther: cell.server.stale === 'both' ? load.staleOther : NaN,
      probes: load.probes,
      sqlPerRequest: perRequest('transactions'),
      redisPerRequest: perRequest('redisCommands'),
      serverCpuUs: perRequest('serverCpu') * 1e6,
      postgresCpuUs: perRequest('postgresCpu') * 1e6,
      redisCpuUs: perRequest('redisCpu') * 1e6,
      hitRates: cell.server.strata ? hitRates(before.lookups!, after.lookups!) : undefined,
    };
  } finally {
    for (const server of servers) server.child.kill('SIGKILL');
  }
}

async function start(server: Server, env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const { child, port } = await spawnListening(server.script, { NODE_ENV: 'production', NODE_OPTIONS: SERVER_NODE_OPTIONS, ...env });
  return { url: `http://127.0.0.1:${port}/graphql`, child };
}

interface Counters {
  transactions: number;
  redisCommands: number;
  serverCpu: number;
  postgresCpu: number;
  redisCpu: number;
  lookups?: Record<string, number>;
}

/**
 * Postgres' transactions on the bench database (each statement outside a transaction is one;
 * backends report them at most once a second, so both readings lag alike), Redis' command
 * count (INFO commandstats, less the INFO calls), CPU seconds of the server, of every
 * Postgres process and of redis-server.
 */
async function counters(server: { url: string; child: ChildProcess }, kind: Server): Promise<Counters> {
  const { rows } = await database.db.query('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()');
  const calls = await redis.commandCalls();
  const redisCommands = Object.entries(calls).reduce((sum, [name, n]) => sum + (name === 'info' ? 0 : n), 0);
  return {
    transactions: Number(rows[0].n),
    redisCommands,
    serverCpu: cpuSeconds(server.child.pid) ?? NaN,
    postgresCpu: postgresCpuSeconds(),
    redisCpu: cpuSeconds(redisPid) ?? NaN,
    lookups: kind.strata ? await cacheLookups(server.url) : undefined,
  };
}

/** CPU seconds of every process named postgres on the machine. */
function postgresCpuSeconds(): number {
  let sum = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.includes('(postgres)')) sum += cpuSeconds(Number(entry)) ?? 0;
    } catch {
      // the process ended while we looked
    }
  }
  return sum;
}

/** Hit rate per level (response, l1, l2) between two readings of Strata's /metrics. */
function hitRates(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const rates: Record<string, number> = {};
  for (const level of ['response', 'l1', 'l2']) {
    const rate = hitRate(before, after, level);
    if (rate !== undefined) rates[level] = rate;
  }
  return rates;
}

function label(cell: Cell): string {
  return cell.workload === 'hot' ? `${cell.variant}, hot reads` : cell.workload === 'reads' ? `${cell.variant}, no writes` : cell.variant;
}

function median(values: number[]): number {
  const finite = values.filter((v) => !Number.isNaN(v)).sort((x, y) => x - y);
  if (finite.length === 0) return NaN;
  return finite[Math.floor((finite.length - 1) / 2)];
}

function medianFigures(all: Figures[]): Figures {
  const m = (key: keyof Figures) => median(all.map((f) => f[key] as number));
  const sum = (key: keyof Figures) => all.reduce((s, f) => s + (Number.isNaN(f[key] as number) ? 0 : (f[key] as number)), 0);
  const levels = new Set(all.flatMap((f) => Object.keys(f.hitRates ?? {})));
  return {
    rps: m('rps'), p50: m('p50'), p95: m('p95'), p99: m('p99'), errors: sum('errors'),
    staleSame: all.some((f) => !Number.isNaN(f.staleSame)) ? sum('staleSame') : NaN,
    staleOther: all.some((f) => !Number.isNaN(f.staleOther)) ? sum('staleOther') : NaN,
    probes: sum('probes'),
    sqlPerRequest: m('sqlPerRequest'), redisPerRequest: m('redisPerRequest'),
    serverCpuUs: m('serverCpuUs'), postgresCpuUs: m('postgresCpuUs'), redisCpuUs: m('redisCpuUs'),
    hitRates: levels.size ? Object.fromEntries([...levels].map((l) => [l, median(all.map((f) => f.hitRates?.[l] ?? NaN))])) : undefined,
  };
}

function report(): void {
  const fmt = (v: number, digits = 0) => (Number.isNaN(v) ? 'n/a' : v.toFixed(digits));
  const medians = new Map(cells.map((cell) => [cell, medianFigures(results.get(cell)!)]));
  const lines: string[] = [];
  lines.push(`# Strata next to its peers${quick ? ' (quick run)' : ''}`, '');
  lines.push(
    `${new Date().toISOString()} · ${cpus().length} × ${cpus()[0].model} · ${Math.round(totalmem() / 2 ** 30)} GiB · Node ${process.version} · ` +
      `the whole run took ${((Date.now() - started) / 60_000).toFixed(1)} minutes`,
  );
  lines.push(`Packages: ${packageVersions()}.`, '');
  lines.push(
    `The standard workload (bench/standardWorkload.ts) over a database seeded at scale ${SCALE}: 50% Movie, 10% Movies (20 ids), 15% Recommendations,`,
    '5% PopularMovies, 8% TopMatches or Match, 5% UserProfile, 5% Candidate or Job, 2% writes (RateMovie, UpdateCandidate), Zipf(s = 1) ids.',
    `Every cell starts from an empty Redis and fresh servers, warms up (every key the mix reads by one id, once, for servers with a cache; then ${WARM_MS} ms of the mix)`,
    `and measures ${MEASURE_MS} ms; ${ROUNDS} round(s), cells in turns, medians shown` +
      (ROUNDS > 1 && CONNECTIONS.length > 1 ? ` (cells below ${TARGET_CONNECTIONS} connections: the first round only).` : '.'),
    'Every server process runs with node --max-semi-space-size=64, as npm start runs the gateway.',
    'The load generator (bench/loadgen.ts, keep-alive HTTP/1.1 written on sockets) runs on the same 2 cores as the servers. SQL per request counts Postgres transactions',
    '(a statement outside a transaction is one); Redis per request counts commands; CPU is µs per request of the server process, all Postgres',
    'processes and redis-server. Stale reads: after each UpdateCandidate, the candidate read back on the same instance and on a second instance',
    'of the same server (n/a: constant servers, and CACHE=l1 across instances, which is one instance by design).',
    '',
    '| connections | variant | server | req/s | p50 ms | p95 ms | p99 ms | errors | stale (same / other) of writes | SQL/req | Redis/req | server CPU µs/req | Postgres µs/req | Redis µs/req | hit rate (response / L1 / L2) |',
    '| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  );
  for (const cell of cells) {
    const f = medians.get(cell)!;
    const rate = (level: string) => (f.hitRates?.[level] === undefined ? '–' : `${(f.hitRates[level] * 100).toFixed(1)}%`);
    lines.push(
      `| ${cell.connections} | ${label(cell)} | ${cell.server.name} | ${fmt(f.rps)} | ${fmt(f.p50, 2)} | ${fmt(f.p95, 2)} | ${fmt(f.p99, 2)} | ${f.errors} | ` +
        `${fmt(f.staleSame)} / ${fmt(f.staleOther)} of ${f.probes} | ${fmt(f.sqlPerRequest, 3)} | ${fmt(f.redisPerRequest, 2)} | ${fmt(f.serverCpuUs)} | ${fmt(f.postgresCpuUs)} | ${fmt(f.redisCpuUs)} | ` +
        `${f.hitRates ? `${rate('response')} / ${rate('l1')} / ${rate('l2')}` : 'n/a'} |`,
    );
  }
  if (!ONLY) lines.push('', ...targets(medians));
  const name = quick ? 'peers-quick' : 'peers';
  const chart = writeChart(path.join(projectRoot, 'bench', 'results', `${name}.svg`), [...medians].filter(([c]) => c.connections === TARGET_CONNECTIONS && c.variant === 'POST' && c.workload === 'standard').map(([c, f]) => ({ label: c.server.name, rps: f.rps, p50: f.p50, p99: f.p99 })));
  lines.push('', `![req/s and latency per server, ${TARGET_CONNECTIONS} connections, POST](${path.basename(chart)})`, '');
  const file = path.join(projectRoot, 'bench', 'results', `${name}.md`);
  writeFileSync(file, lines.join('\n'));
  process.stdout.write(`${lines.join('\n')}\n\nwritten to ${path.relative(projectRoot, file)}\n`);
}

/** The issue's targets, each with what this run measured. */
function targets(medians: Map<Cell, Figures>): string[] {
  const at = (name: string, variant: Variant = 'POST', workload: Cell['workload'] = 'standard', connections = TARGET_CONNECTIONS) =>
    medians.get(cells.find((c) => c.server.name === name && c.variant === variant && c.workload === workload && c.connections === connections)!)!;
  const peers = SERVERS.filter((s) => s.name.includes('(Redis)') && !s.strata).map((s) => ({ name: s.name, f: at(s.name) }));
  const best = peers.reduce((x, y) => (y.f.rps > x.f.rps ? y : x));
  const strata = at('Strata CACHE=l1+l2');
  const reads = at('Strata CACHE=l1+l2', 'POST', 'reads');
  const hot = at('Strata CACHE=l1+l2', 'GET', 'hot');
  const raw = at('node:http, fixed JSON', 'GET', 'hot');
  const off = at('Strata CACHE=off');
  const apolloOff = at('Apollo 5, no cache');
  const check = (ok: boolean) => (ok ? 'met' : 'not met');
  return [
    `## Targets (${TARGET_CONNECTIONS} connections, medians of ${ROUNDS} round(s))`,
    '',
    `- Strata l1+l2 over the best peer (${best.name}): ${(strata.rps / best.f.rps).toFixed(2)}× the req/s (target ≥ 2: ${check(strata.rps >= 2 * best.f.rps)}), p99 ${(strata.p99 / best.f.p99).toFixed(2)} of its p99 (target ≤ 0.2: ${check(strata.p99 <= best.f.p99 / 5)}).`,
    `- Hot persisted GETs, warm, over raw node:http: ${(hot.rps / raw.rps).toFixed(2)} (target ≥ 0.70: ${check(hot.rps >= 0.7 * raw.rps)}).`,
    `- Hit rate after warm-up (l1+l2), judged on requests answered whole by the response tier (a lower bound: a miss there may still be served from L1): response ${pct(strata.hitRates?.response, 2)} (target ≥ 97%: ${check((strata.hitRates?.response ?? 0) >= 0.97)}), lookups below it L1 ${pct(strata.hitRates?.l1)}, L2 ${pct(strata.hitRates?.l2)}; SQL per request ${strata.sqlPerRequest.toFixed(3)} (target ≤ 0.02: ${check(strata.sqlPerRequest <= 0.02)}).`,
    `- The same without the 2% writes: response ${pct(reads.hitRates?.response, 2)}, L1 ${pct(reads.hitRates?.l1)}; SQL per request ${reads.sqlPerRequest.toFixed(3)} (hit rate: ${check((reads.hitRates?.response ?? 0) >= 0.97)}; SQL: ${check(reads.sqlPerRequest <= 0.02)}). Each write is one statement of its own, so the whole mix cannot go below 0.02; what its statement returns is stored, and the reads it invalidates that need more (a recommendation's new movies, a write another overtook) add the rest.`,
    `- Stale reads, Strata l1+l2: ${strata.staleSame} on the same instance, ${strata.staleOther} on the other, of ${strata.probes} writes (target 0: ${check(strata.staleSame + strata.staleOther === 0)}).`,
    `- Strata CACHE=off over Apollo without a cache: ${(off.rps / apolloOff.rps).toFixed(2)} (target ≥ 0.90: ${check(off.rps >= 0.9 * apolloOff.rps)}).`,
  ];
}

/** `digits`: two where the rate is judged against a threshold, so 96.98% does not show as 97.0% and "not met". */
function pct(rate: number | undefined, digits = 1): string {
  return rate === undefined ? 'n/a' : `${(rate * 100).toFixed(digits)}%`;
}

function packageVersions(): string {
  const version = (name: string, base = projectRoot) => {
    try {
      return `${name} ${JSON.parse(readFileSync(path.join(base, 'node_modules', name, 'package.json'), 'utf8')).version}`;
    } catch {
      return `${name} ?`;
    }
  };
  const bench = path.join(projectRoot, 'bench');
  return [
    version('@apollo/server'), version('graphql'), version('ioredis'), version('pg'),
    version('@apollo/server-plugin-response-cache', bench), version('graphql-yoga', bench), version('@graphql-yoga/plugin-response-cache', bench),
    version('@envelop/response-cache-redis', bench), version('mercurius', bench), version('mercurius-cache', bench), version('fastify', bench),
  ].join(', ');
}
