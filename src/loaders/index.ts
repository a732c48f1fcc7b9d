/**
 * The per-request loaders: one DataLoader per entity, each batch one `WHERE id = ANY($1)`
 * statement, so a request issues one statement per entity type per tick, never one per row.
 * Made fresh for every request, so nothing here outlives it.
 */
import DataLoader from 'dataloader';
import type { Db } from '../db/pool.js';
import type { AlgorithmWeightsRow, CandidateRow, CompanyRow, JobRow, MovieRow, UserProfileRow, UserRow } from '../db/rows.js';
import { moviesByIds } from '../db/sources/movies.js';
import { userProfilesByIds, usersByIds } from '../db/sources/users.js';
import { algorithmWeights, candidatesByIds, companiesByIds, jobsByIds } from '../db/sources/jobs.js';
import type { MatchAlgorithm } from '../engine/matching.js';

export interface Loaders {
  movie: DataLoader<number, MovieRow | undefined>;
  user: DataLoader<number, UserRow | undefined>;
  userProfile: DataLoader<number, UserProfileRow>;
  candidate: DataLoader<number, CandidateRow | undefined>;
  job: DataLoader<number, JobRow | undefined>;
  company: DataLoader<number, CompanyRow | undefined>;
  algorithmWeights: DataLoader<MatchAlgorithm, AlgorithmWeightsRow>;
}

/** The catalogue of loaders for one request. */
export function createLoaders(db: Db): Loaders {
  return {
    movie: new DataLoader((ids) => moviesByIds(db, ids)),
    user: new DataLoader((ids) => usersByIds(db, ids)),
    userProfile: new DataLoader((ids) => userProfilesByIds(db, ids)),
    candidate: new DataLoader((ids) => candidatesByIds(db, ids)),
    job: new DataLoader((ids) => jobsByIds(db, ids)),
    company: new DataLoader((ids) => companiesByIds(db, ids)),
    // Three rows in all: one statement reads them, whichever were asked for.
    algorithmWeights: new DataLoader(async (algorithms) => {
      const rows = await algorithmWeights(db);
      return algorithms.map((a) => rows.find((row) => row.algorithm === a) ?? new Error(`no weights for ${a}`));
    }),
  };
}
