/**
 * What the benchmarks share: the standard query mix over the seeded ids (Zipf, s = 1), a
 * closed-loop load generator, the bench servers as child processes, and the figures read off
 * them (latency percentiles, server CPU per request).
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { spawnListening } from '../test/helpers/gatewayProcess.js';

export type Request = { query: string; variables?: Record<string, unknown> };
export const CONNECTIONS = 32;

/** Zipf(s = 1) over 1..n: a few ids are asked for far more than the rest, as in seed 004. */
export function zipfSampler(n: number): () => number {
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

const CARD = 'id title year genres avgRating ratingCount';
export const RECOMMENDATIONS = `query Recommendations($userId: ID!) { recommendations(userId: $userId, n: 10) { score reason movie { ${CARD} } } }`;
const MOVIES = `query Movies($ids: [ID!]!) { movies(ids: $ids) { ${CARD} } }`;
const CANDIDATE = 'query Candidate($id: ID!) { candidate(id: $id) { id name title skills location { city } } }';
export const TOP_MATCHES = 'query TopMatches($candidateId: ID!) { topMatches(candidateId: $candidateId, limit: 10) { score travelMinutes job { id title } } }';

/**
 * The standard mix over a database seeded at `scale`: 50% movie, 10% movies (20 ids), 15%
 * recommendations, 5% popularMovies, 8% topMatches, 8% candidate, 4% travelTime.
 */
export function standardMix(scale: number): () => Request {
  const movieId = zipfSampler(Math.round(10000 * scale));
  const candidateId = zipfSampler(Math.round(5000 * scale));
  const userId = zipfSampler(Math.round(5000 * scale));
  const mix: Array<[number, () => Request]> = [
    [50, () => ({ query: `query Movie($id: ID!) { movie(id: $id) { ${CARD} } }`, variables: { id: String(movieId()) } })],
    [10, () => ({ query: MOVIES, variables: { ids: Array.from({ length: 20 }, () => String(movieId())) } })],
    [15, () => ({ query: RECOMMENDATIONS, variables: { userId: String(userId()) } })],
    [5, () => ({ query: `query PopularMovies { popularMovies(limit: 20) { ${CARD} } }` })],
    [8, () => ({ query: TOP_MATCHES, variables: { candidateId: String(candidateId()) } })],
    [8, () => ({ query: `query Candidate($id: ID!) { candidate(id: $id) { id name title skills location { city } } }`, variables: { id: String(candidateId()) } })],
    [4, () => ({ query: 'query TravelTime { travelTime(from: {lat: 48.8566, lng: 2.3522}, to: {lat: 45.764, lng: 4.8357}) { minutes } }' })],
  ];
  const totalWeight = mix.reduce((sum, [w]) => sum + w, 0);
  return () => {
    let x = Math.random() * totalWeight;
    for (const [w, make] of mix) if ((x -= w) < 0) return make();
    return mix[0][1]();
  };
}

/** Each user's recommendations and each candidate's top matches for ids from..to, once each, shuffled. */
export function engineRequests(from: number, to: number): Request[] {
  const requests: Request[] = [];
  for (let id = from; id <= to; id++) {
    requests.push({ query: RECOMMENDATIONS, variables: { userId: String(id) } }, { query: TOP_MATCHES, variables: { candidateId: String(id) } });
  }
  for (let i = requests.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [requests[i], requests[j]] = [requests[j], requests[i]];
  }
  return requests;
}

/**
 * Every movie (in lists of 100) and every candidate of a database seeded at `scale`, once
 * each: with `engineRequests` over every id, what a warm-up must ask for so that the mix then
 * meets no key it has not seen (its Zipf tail otherwise keeps finding cold ones).
 */
export function entityRequests(scale: number): Request[] {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => String(i + 1));
  const requests: Request[] = [];
  const movieIds = ids(Math.round(10000 * scale));
  for (let i = 0; i < movieIds.length; i += 100) {
    requests.push({ query: MOVIES, variables: { ids: movieIds.slice(i, i + 100) } });
  }
  for (const id of ids(Math.round(5000 * scale))) {
    requests.push({ query: CANDIDATE, variables: { id } });
  }
  return requests;
}

/** The server's cache lookups by level and outcome, summed over types, from its /metrics. */
export async function cacheLookups(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(url.replace(/\/graphql$/, '/metrics'))).text();
  const totals: Record<string, number> = {};
  for (const match of text.matchAll(/^cache_(hits|misses)_total\{level="(\w+)"[^}]*\} (\d+)/gm)) {
    const key = `${match[2]} ${match[1]}`;
    totals[key] = (totals[key] ?? 0) + Number(match[3]);
  }
  return totals;
}

/** The hit rate of `level` (response, l1, l2) between two `cacheLookups` readings; undefined when nothing was looked up there. */
export function hitRate(before: Record<string, number>, after: Record<string, number>, level: string): number | undefined {
  const delta = (key: string) => (after[key] ?? 0) - (before[key] ?? 0);
  const lookups = delta(`${level} hits`) + delta(`${level} misses`);
  return lookups === 0 ? undefined : delta(`${level} hits`) / lookups;
}

export interface BenchServer {
  url: string;
  child: ChildProcess;
}

/** A bench server (bench/server.ts) in `mode` as a child process, once it listens. */
export async function startServer(mode: string, env: Record<string, string>): Promise<BenchServer> {
  // NODE_ENV=production for every server alike: graphql-js skips its development-only checks.
  const { child, port } = await spawnListening('bench/server.ts', { ...env, BENCH_MODE: mode, NODE_ENV: 'production' });
  return { url: `http://127.0.0.1:${port}/graphql`, child };
}

export interface LoadResult {
  latenciesMs: number[];
  errors: number;
  seconds: number;
}

/**
 * Sends requests from `next` on `connections` connections, each waiting for its answer
 * before sending the next, until `next` returns undefined or `durationMs` passes. `urls`:
 * one server, or several that the connections take turns on.
 */
export async function load(urls: string | string[], durationMs: number, next: () => Request | undefined, connections = CONNECTIONS): Promise<LoadResult> {
  const targets = Array.isArray(urls) ? urls : [urls];
  const latenciesMs: number[] = [];
  let errors = 0;
  const began = performance.now();
  const deadline = Date.now() + durationMs;
  await Promise.all(
    Array.from({ length: connections }, async (_, connection) => {
      const url = targets[connection % targets.length];
      for (let request = next(); request && Date.now() < deadline; request = next()) {
        const started = performance.now();
        try {
          const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
          const body = await res.json();
          if (res.status !== 200 || body.errors) errors++;
        } catch {
          errors++;
        }
        latenciesMs.push(performance.now() - started);
      }
    }),
  );
  return { latenciesMs, errors, seconds: (performance.now() - began) / 1000 };
}

/** Each request of `requests` once, as fast as the connections go. */
export function each(url: string, requests: Request[]): Promise<LoadResult> {
  let i = 0;
  return load(url, 10 * 60_000, () => requests[i++]);
}

/**
 * CPU seconds (user + system) the process `pid` has used, from /proc; undefined where there is
 * none. The load generator shares the machine with the servers, so a server that answers with
 * less CPU leaves more to the generator and req/s understates the gap: CPU per request is
 * the steadier figure of what a server costs.
 */
export function cpuSeconds(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks: USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/** Runs `measure` and returns what it returned with the server's CPU microseconds per request. */
export async function withCpu<T extends { latenciesMs: number[] }>(child: ChildProcess, measure: () => Promise<T>): Promise<T & { cpuUsPerRequest?: number }> {
  const before = cpuSeconds(child.pid);
  const result = await measure();
  const after = cpuSeconds(child.pid);
  const cpuUsPerRequest = before === undefined || after === undefined ? undefined : ((after - before) * 1e6) / result.latenciesMs.length;
  return { ...result, cpuUsPerRequest };
}

/** The p-th percentile of ascending `sorted`. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** The cumulative buckets of histogram `name` on the server of `url`: upper bound (seconds) → count. */
export async function histogram(url: string, name: string): Promise<Map<number, number>> {
  const text = await (await fetch(url.replace(/\/graphql$/, '/metrics'))).text();
  const buckets = new Map<number, number>();
  for (const [, le, count] of text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+)`, 'gm'))) {
    buckets.set(le === '+Inf' ? Infinity : Number(le), Number(count));
  }
  return buckets;
}

/** What a histogram counted between two readings, with quantiles as bucket upper bounds in ms. */
export function bucketsBetween(before: Map<number, number>, after: Map<number, number>) {
  const bounds = [...after.keys()].sort((x, y) => x - y);
  const cumulative = bounds.map((le) => (after.get(le) ?? 0) - (before.get(le) ?? 0));
  const count = cumulative[cumulative.length - 1] ?? 0;
  return {
    count,
    quantile(q: number): string {
      const i = cumulative.findIndex((n) => n >= Math.ceil(q * count));
      const le = bounds[i];
      return le === undefined ? 'n/a' : le === Infinity ? '∞' : String(le * 1000);
    },
  };
}
