/**
 * One server under benchmark, as a child process: the gateway in a CACHE mode
 * (BENCH_MODE=off|l1|l1+l2), or the execution ceiling (BENCH_MODE=ceiling): the same
 * gateway — HTTP layer, plugins, metrics — whose resolvers for the benchmark's queries return
 * constants, so the ratio to it is the cost of fetching data, cached or not. Prints
 * "listening <port>".
 */
import { loadConfig } from '../src/config.js';
import { createPool } from '../src/db/pool.js';
import { startGateway } from '../src/gateway.js';
import { setLogLevel } from '../src/log.js';
import { resolvers } from '../resolvers/index.js';

setLogLevel('error');
const mode = process.env.BENCH_MODE ?? 'l1';

const movie = (id: number) => ({ id, title: `Movie ${id}`, year: 2000, genres: ['Drama'], avg_rating: 3.5, rating_count: 10 });
const job = (id: number) => ({ id, title: 'Engineer' });
/** Constant answers for every query of bench/cache.ts, nested objects included. */
const constantResolvers = {
  ...resolvers,
  Query: {
    ...resolvers.Query,
    movie: (_: unknown, { id }: { id: string }) => movie(Number(id)),
    movies: (_: unknown, { ids }: { ids: string[] }) => ids.map((id) => movie(Number(id))),
    popularMovies: (_: unknown, { limit }: { limit: number }) => Array.from({ length: limit }, (_, i) => movie(i + 1)),
    travelTime: () => ({ minutes: 42, distanceKm: 30 }),
    candidate: (_: unknown, { id }: { id: string }) => ({
      id: Number(id), name: 'Ana', title: 'Engineer', skills: ['Go'], years_experience: 3, sector: 'Technology',
      salary_expectation: 50000, city: 'Lyon', lat: 45.76, lng: 4.83,
    }),
    recommendations: (_: unknown, { n }: { n: number }) =>
      Array.from({ length: n }, (_, i) => ({ movieId: i + 1, score: 0.9, reason: 'Among the most rated movies', because: { kind: 'popular' } })),
    topMatches: (_: unknown, { candidateId, limit }: { candidateId: string; limit: number }) =>
      Array.from({ length: limit }, (_, i) => ({
        candidateId: Number(candidateId), jobId: i + 1, algorithm: 'WEIGHTED', score: 0.8, travelMinutes: 20,
        breakdown: { skills: 1, experience: 1, location: 0.5, salary: 0.7 },
      })),
  },
  Recommendation: { ...resolvers.Recommendation, movie: (r: { movieId: number }) => movie(r.movieId) },
  Match: { ...resolvers.Match, job: (m: { jobId: number }) => job(m.jobId) },
};

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
const gateway = await startGateway(config, db, mode === 'ceiling' ? { resolvers: constantResolvers } : {});
console.log(`listening ${gateway.port}`);
// Under --cpu-prof, the profile is written at exit: leave on SIGINT as on SIGTERM.
process.on('SIGINT', () => process.exit(0));
