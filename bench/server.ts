/**
 * One server under benchmark, as a child process: the gateway in a CACHE mode
 * (BENCH_MODE=off|l1|l1+l2), or the execution ceiling (BENCH_MODE=ceiling): the same
 * gateway — HTTP layer, plugins, metrics — whose resolvers for the benchmark's queries answer
 * from rows read into memory at start, so the ratio to it is the cost of fetching data,
 * cached or not. Prints "listening <port>".
 */
import { loadConfig } from '../src/config.js';
import { createPool, type Db } from '../src/db/pool.js';
import { startGateway } from '../src/gateway.js';
import { setLogLevel } from '../src/log.js';
import { moviesByIds } from '../src/db/sources/movies.js';
import { candidatesByIds, jobsByIds } from '../src/db/sources/jobs.js';
import type { CandidateRow, JobRow, MovieRow } from '../src/db/rows.js';
import { resolvers } from '../resolvers/index.js';

setLogLevel('error');
const mode = process.env.BENCH_MODE ?? 'l1';

/**
 * Every movie, candidate and job, read once. The ceiling answers with the same rows the
 * gateway serves (not short placeholders): its responses have the same size, so writing and
 * serializing them cost the same on both sides, and only fetching differs. Rankings are a
 * fixed list of real rows, as long as the gateway's.
 */
async function rowsInMemory(db: Db) {
  const ids = async (table: string) => (await db.query<{ id: number }>(`SELECT id FROM ${table} ORDER BY id`)).rows.map((r) => r.id);
  const byId = <T extends { id: number }>(rows: Array<T | undefined>) => new Map(rows.filter((r): r is T => !!r).map((r) => [r.id, r]));
  return {
    movies: byId<MovieRow>(await moviesByIds(db, await ids('movies'))),
    candidates: byId<CandidateRow>(await candidatesByIds(db, await ids('candidates'))),
    jobs: byId<JobRow>(await jobsByIds(db, await ids('jobs'))),
  };
}

/** Answers for every query of bench/cache.ts, nested objects included, from `rows`. */
function constantResolvers({ movies, candidates, jobs }: Awaited<ReturnType<typeof rowsInMemory>>) {
  const movie = (id: number) => movies.get(id) ?? movies.get(1)!;
  const firstIds = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
  return {
    ...resolvers,
    Query: {
      ...resolvers.Query,
      movie: (_: unknown, { id }: { id: string }) => movie(Number(id)),
      movies: (_: unknown, { ids }: { ids: string[] }) => ids.map((id) => movie(Number(id))),
      popularMovies: (_: unknown, { limit }: { limit: number }) => firstIds(limit).map(movie),
      travelTime: () => ({ minutes: 42, distanceKm: 30 }),
      candidate: (_: unknown, { id }: { id: string }) => candidates.get(Number(id)) ?? null,
      recommendations: (_: unknown, { n }: { n: number }) =>
        firstIds(n).map((movieId) => ({ movieId, score: 0.9, because: { kind: 'popular', ratingCount: 100 } })),
      topMatches: (_: unknown, { candidateId, limit }: { candidateId: string; limit: number }) =>
        firstIds(limit).map((jobId) => ({
          candidateId: Number(candidateId), jobId, algorithm: 'WEIGHTED', score: 0.8, travelMinutes: 20,
          breakdown: { skills: 1, experience: 1, location: 0.5, salary: 0.7 },
        })),
    },
    Recommendation: { ...resolvers.Recommendation, movie: (r: { movieId: number }) => movie(r.movieId) },
    Match: { ...resolvers.Match, job: (m: { jobId: number }) => jobs.get(m.jobId) },
  };
}

const config = loadConfig({
  NODE_ENV: 'production',
  JWT_SECRET: 'bench-secret',
  PORT: '0',
  HOST: '127.0.0.1',
  DATABASE_URL: process.env.DATABASE_URL,
  CACHE: mode === 'ceiling' ? 'off' : mode,
  ...(mode === 'l1+l2' ? { REDIS_URL: process.env.REDIS_URL } : {}),
  LOG_LEVEL: 'error',
});
const db = createPool(config.database.url!, config.database);
const gateway = await startGateway(config, db, mode === 'ceiling' ? { resolvers: constantResolvers(await rowsInMemory(db)) } : {});
console.log(`listening ${gateway.port}`);
// Under --cpu-prof, the profile is written at exit: leave on SIGINT as on SIGTERM.
process.on('SIGINT', () => process.exit(0));
