/**
 * The ceilings' resolvers: answers for every query of the benchmarks, nested objects
 * included, from rows read into memory at start. bench/server.ts (BENCH_MODE=ceiling) and
 * the constant peers (bench/peers/) serve them.
 */
import type { Db } from '../../src/db/pool.js';
import { moviesByIds } from '../../src/db/sources/movies.js';
import { candidatesByIds, jobsByIds } from '../../src/db/sources/jobs.js';
import type { CandidateRow, JobRow, MovieRow } from '../../src/db/rows.js';
import { resolvers } from '../../resolvers/index.js';

/**
 * Every movie, candidate and job, read once. The ceiling answers with the same rows the
 * gateway serves (not short placeholders): its responses have the same size, so writing and
 * serializing them cost the same on both sides, and only fetching differs. Rankings are a
 * fixed list of real rows, as long as the gateway's.
 */
export async function rowsInMemory(db: Db) {
  const ids = async (table: string) => (await db.query<{ id: number }>(`SELECT id FROM ${table} ORDER BY id`)).rows.map((r) => r.id);
  const byId = <T extends { id: number }>(rows: Array<T | undefined>) => new Map(rows.filter((r): r is T => !!r).map((r) => [r.id, r]));
  return {
    movies: byId<MovieRow>(await moviesByIds(db, await ids('movies'))),
    candidates: byId<CandidateRow>(await candidatesByIds(db, await ids('candidates'))),
    jobs: byId<JobRow>(await jobsByIds(db, await ids('jobs'))),
  };
}

/** Answers for every query of bench/cache.ts, nested objects included, from `rows`. */
export function constantResolvers({ movies, candidates, jobs }: Awaited<ReturnType<typeof rowsInMemory>>) {
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
      user: (_: unknown, { id }: { id: string }) => ({ id: Number(id), name: `User ${id}`, email: null, is_power_user: Number(id) % 5 === 0 }),
      job: (_: unknown, { id }: { id: string }) => jobs.get(Number(id)) ?? null,
      match: (_: unknown, { candidateId, jobId }: { candidateId: string; jobId: string }) => ({
        candidateId: Number(candidateId), jobId: Number(jobId), algorithm: 'WEIGHTED', score: 0.8, travelMinutes: 20,
        breakdown: { skills: 1, experience: 1, location: 0.5, salary: 0.7 },
      }),
      topMatches: (_: unknown, { candidateId, limit }: { candidateId: string; limit: number }) =>
        firstIds(limit).map((jobId) => ({
          candidateId: Number(candidateId), jobId, algorithm: 'WEIGHTED', score: 0.8, travelMinutes: 20,
          breakdown: { skills: 1, experience: 1, location: 0.5, salary: 0.7 },
        })),
    },
    Recommendation: { ...resolvers.Recommendation, movie: (r: { movieId: number }) => movie(r.movieId) },
    Match: {
      ...resolvers.Match,
      job: (m: { jobId: number }) => jobs.get(m.jobId) ?? jobs.get(1),
      candidate: (m: { candidateId: number }) => candidates.get(m.candidateId) ?? candidates.get(1),
    },
    User: { ...resolvers.User, profile: (u: { id: number }) => ({ user_id: u.id, favorite_genres: ['Drama', 'Comedy'], rating_count: 42, avg_rating: 3.8 }) },
    Job: { ...resolvers.Job, company: (j: { company_id: number }) => ({ id: j.company_id, name: `Company ${j.company_id}`, sector: 'Software' }) },
    Rating: {
      ...resolvers.Rating,
      movie: (r: { movie_id: number }) => movie(r.movie_id),
      user: (r: { user_id: number }) => ({ id: r.user_id, name: `User ${r.user_id}`, email: null, is_power_user: false }),
    },
    Mutation: {
      rateMovie: (_: unknown, a: { userId: string; movieId: string; rating: number }) => ({ user_id: Number(a.userId), movie_id: Number(a.movieId), rating: a.rating, rated_at: new Date() }),
      updateCandidate: (_: unknown, a: { id: string; input: { title?: string } }) => ({ ...(candidates.get(Number(a.id)) ?? candidates.get(1)!), ...(a.input.title ? { title: a.input.title } : {}) }),
    },
  };
}
