/**
 * The per-request loaders: one DataLoader per entity, each batch one `WHERE id = ANY($1)`
 * statement, so a request issues one statement per entity type per tick, never one per row.
 * Entities are served through the cache tiers (L1, then L2, then Postgres) with the TTL
 * their type has in the schema. Made fresh for every request: nothing here outlives it.
 */
import DataLoader from 'dataloader';
import type { Db } from '../db/pool.js';
import type { AlgorithmWeightsRow, CandidateRow, CompanyRow, JobRow, MatchingStatsRow, MovieRow, UserProfileRow, UserRow } from '../db/rows.js';
import { moviesByIds, popularMovieIds, topMovieIdsByGenre } from '../db/sources/movies.js';
import { matchingStats } from '../db/sources/stats.js';
import { travelTime, type GeoPoint } from '../engine/geo.js';
import { userProfilesByIds, usersByIds } from '../db/sources/users.js';
import { algorithmWeights, candidatesByIds, companiesByIds, jobsByIds } from '../db/sources/jobs.js';
import type { MatchAlgorithm } from '../engine/matching.js';
import type { Cache } from '../cache/index.js';
import { createTieredLoader, type TierSet } from '../cache/tieredLoader.js';

export interface Loaders {
  movie: DataLoader<number, MovieRow | undefined>;
  user: DataLoader<number, UserRow | undefined>;
  userProfile: DataLoader<number, UserProfileRow | undefined>;
  candidate: DataLoader<number, CandidateRow | undefined>;
  job: DataLoader<number, JobRow | undefined>;
  company: DataLoader<number, CompanyRow | undefined>;
  algorithmWeights: DataLoader<MatchAlgorithm, AlgorithmWeightsRow>;
  // Computed fields whose inputs change only with a view refresh (or never): a TTL bounds them.
  travelTime: DataLoader<{ from: GeoPoint; to: GeoPoint }, { minutes: number; distanceKm: number } | undefined, string>;
  popularMovieIds: DataLoader<number, Array<{ movieId: number; ratingCount: number }> | undefined, string>;
  topMovieIdsByGenre: DataLoader<{ genre: string; limit: number }, Array<{ movieId: number; avgRating: number }> | undefined, string>;
  matchingStats: DataLoader<{ sector: string | null; hours: number }, MatchingStatsRow[] | undefined, string>;
}

/** The catalogue of loaders for one request: key, TTL (from the schema) and source of each. */
export function createLoaders(db: Db, cache: Cache, tiers: TierSet): Loaders {
  const { keys, policy } = cache;
  return {
    movie: createTieredLoader({ type: 'Movie', key: keys.movieMetadata, ttlMs: policy.forType('Movie').ttlMs, load: (ids) => moviesByIds(db, ids) }, tiers),
    user: createTieredLoader({ type: 'User', key: keys.user, ttlMs: policy.forType('User').ttlMs, load: (ids) => usersByIds(db, ids) }, tiers),
    userProfile: createTieredLoader(
      { type: 'UserProfile', key: keys.userProfile, ttlMs: policy.forField('User.profile').ttlMs, load: (ids) => userProfilesByIds(db, ids) },
      tiers,
    ),
    candidate: createTieredLoader(
      { type: 'Candidate', key: keys.candidateProfile, ttlMs: policy.forType('Candidate').ttlMs, load: (ids) => candidatesByIds(db, ids) },
      tiers,
    ),
    job: createTieredLoader({ type: 'Job', key: keys.jobProfile, ttlMs: policy.forType('Job').ttlMs, load: (ids) => jobsByIds(db, ids) }, tiers),
    company: createTieredLoader({ type: 'Company', key: keys.company, ttlMs: policy.forType('Company').ttlMs, load: (ids) => companiesByIds(db, ids) }, tiers),
    travelTime: createTieredLoader(
      {
        type: 'Query.travelTime',
        key: ({ from, to }) => keys.geoDistance(from, to),
        ttlMs: policy.forField('Query.travelTime').ttlMs,
        load: async (pairs) => pairs.map(({ from, to }) => travelTime(from, to)),
      },
      tiers,
    ),
    popularMovieIds: createTieredLoader(
      {
        type: 'Query.popularMovies',
        key: keys.popularMovies,
        ttlMs: policy.forField('Query.popularMovies').ttlMs,
        load: (limits) => Promise.all(limits.map((limit) => popularMovieIds(db, limit))),
      },
      tiers,
    ),
    topMovieIdsByGenre: createTieredLoader(
      {
        type: 'Query.topMoviesByGenre',
        key: ({ genre, limit }) => keys.topMoviesByGenre(genre, limit),
        ttlMs: policy.forField('Query.topMoviesByGenre').ttlMs,
        load: (asks) => Promise.all(asks.map(async ({ genre, limit }) => (await topMovieIdsByGenre(db, [genre], limit)).get(genre)!)),
      },
      tiers,
    ),
    matchingStats: createTieredLoader(
      {
        type: 'Query.matchingStats',
        key: ({ sector, hours }) => keys.matchingStats(sector, hours),
        ttlMs: policy.forField('Query.matchingStats').ttlMs,
        load: (asks) => Promise.all(asks.map(({ sector, hours }) => matchingStats(db, sector, hours))),
      },
      tiers,
    ),
    // Three rows in all, read per request (not cached yet): one statement reads them, whichever were asked for.
    algorithmWeights: new DataLoader(async (algorithms) => {
      const rows = await algorithmWeights(db);
      return algorithms.map((a) => rows.find((row) => row.algorithm === a) ?? new Error(`no weights for ${a}`));
    }),
  };
}
