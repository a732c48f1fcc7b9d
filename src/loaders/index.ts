/**
 * The per-request loaders: one DataLoader per entity, each batch one `WHERE id = ANY($1)`
 * statement, so a request issues one statement per entity type per tick, never one per row.
 * Entities are served through the cache tiers (L1, then L2, then Postgres) with the TTL
 * their type has in the schema. Made fresh for every request: nothing here outlives it.
 */
import DataLoader from 'dataloader';
import type { Db } from '../db/pool.js';
import type { AlgorithmWeightsRow, CandidateRow, CompanyRow, JobRow, MovieRow, UserProfileRow, UserRow } from '../db/rows.js';
import { moviesByIds } from '../db/sources/movies.js';
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
    // Three rows in all, read per request (not cached yet): one statement reads them, whichever were asked for.
    algorithmWeights: new DataLoader(async (algorithms) => {
      const rows = await algorithmWeights(db);
      return algorithms.map((a) => rows.find((row) => row.algorithm === a) ?? new Error(`no weights for ${a}`));
    }),
  };
}
