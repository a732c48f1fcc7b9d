/**
 * Entity loaders by id: each batch is one `WHERE id = ANY($1)` statement behind the tiers,
 * tagged with the entity itself, so a write to it invalidates its entry. Specs, built once
 * per instance; index.ts makes a request's loaders from them.
 */
import type { Db } from '../db/pool.js';
import { moviesByIds } from '../db/sources/movies.js';
import { ratingsOfUsers, userProfilesByIds, usersByIds } from '../db/sources/users.js';
import { algorithmWeights, candidatesByIds, companiesByIds, jobsByIds } from '../db/sources/jobs.js';
import { roadModel } from '../db/sources/geo.js';
import type { MatchAlgorithm } from '../engine/matching.js';
import type { Cache } from '../cache/index.js';
import { tags } from '../cache/tags.js';
import { loaderSpec } from '../cache/tieredLoader.js';

export function entitySpecs(db: Db, { keys, policy }: Cache) {
  const entity = (typename: string) => (id: number) => [tags.entity(typename, id)];
  return {
    movie: loaderSpec(
      { type: 'Movie', key: keys.movieMetadata, tags: entity('Movie'), ttlMs: policy.forType('Movie').ttlMs, load: (ids) => moviesByIds(db, ids) }
    ),
    // The public entry leaves the PRIVATE email out; `privateUser` holds it, per caller.
    user: loaderSpec(
      {
        type: 'User',
        key: keys.user,
        tags: entity('User'),
        ttlMs: policy.forType('User').ttlMs,
        load: async (ids) => (await usersByIds(db, ids)).map((row) => row && { ...row, email: null }),
      }
    ),
    /** The caller as they see themselves: keyed by the caller, never served to anyone else. */
    privateUser: loaderSpec(
      { type: 'Query.me', key: keys.privateUser, tags: entity('User'), ttlMs: policy.forField('Query.me').ttlMs, load: (ids) => usersByIds(db, ids) }
    ),
    userProfile: loaderSpec(
      {
        type: 'UserProfile',
        key: keys.userProfile,
        // Built from the user's ratings and the genres of what they rated (not their row, the User entry).
        tags: (id) => [tags.ratingsOf(id), tags.movieGenres],
        ttlMs: policy.forField('User.profile').ttlMs,
        load: (ids) => userProfilesByIds(db, ids),
      }
    ),
    /** A user's ratings, by movie: what their recommendations exclude and build on (services/recommender.ts). */
    userRatings: loaderSpec(
      {
        type: 'UserRatings',
        key: keys.userRatings,
        tags: (id) => [tags.ratingsOf(id)],
        // As long as the profile built from the same ratings.
        ttlMs: policy.forField('User.profile').ttlMs,
        load: (ids) => ratingsOfUsers(db, ids),
      }
    ),
    candidate: loaderSpec(
      {
        type: 'Candidate',
        key: keys.candidateProfile,
        tags: entity('Candidate'),
        ttlMs: policy.forType('Candidate').ttlMs,
        load: (ids) => candidatesByIds(db, ids),
      }
    ),
    job: loaderSpec(
      { type: 'Job', key: keys.jobProfile, tags: entity('Job'), ttlMs: policy.forType('Job').ttlMs, load: (ids) => jobsByIds(db, ids) }
    ),
    company: loaderSpec(
      { type: 'Company', key: keys.company, tags: entity('Company'), ttlMs: policy.forType('Company').ttlMs, load: (ids) => companiesByIds(db, ids) }
    ),
    // Three rows in all: one statement reads them, whichever were asked for.
    algorithmWeights: loaderSpec(
      {
        type: 'AlgorithmWeights',
        key: keys.algorithmWeights,
        tags: (algorithm) => [tags.entity('AlgorithmWeights', algorithm)],
        ttlMs: policy.forType('AlgorithmWeights').ttlMs,
        load: async (algorithms: readonly MatchAlgorithm[]) => {
          const rows = await algorithmWeights(db);
          return algorithms.map((a) => rows.find((row) => row.algorithm === a));
        },
      }
    ),
    // One row, under one key: what every travel time and match is computed with. It lives as
    // long as the travel times built from it; a change to it (GeoDataUpdated) invalidates both.
    roadModel: loaderSpec(
      {
        type: 'RoadModel',
        key: (_: 'current') => keys.roadModel(),
        tags: () => [tags.geo],
        ttlMs: policy.forField('Query.travelTime').ttlMs,
        load: async (ks: readonly 'current'[]) => {
          const model = await roadModel(db);
          return ks.map(() => model);
        },
      }
    ),
  };
}
