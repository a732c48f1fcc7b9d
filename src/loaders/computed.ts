/**
 * Loaders of computed fields: read from materialized views, or computed by the engine. Each
 * is tagged with what it is built from: a user's recommendations with the user (their
 * ratings) and the views they draw on; a ranking over every job with `Job:*`, since any
 * job's change may move it into or out of the top. Those tags are all a computed value
 * depends on, so the entities it reads are inputs (loadInput): a request's trace records the
 * computed entry, as it does when the entry is served from a tier, not what built it.
 */
import type { Db } from '../db/pool.js';
import type { MatchResult, RecommendationResult } from '../db/rows.js';
import { popularMovieIds, topMovieIdsByGenre } from '../db/sources/movies.js';
import { matchingStats } from '../db/sources/stats.js';
import { travelTime, type GeoPoint } from '../engine/geo.js';
import { scoreMatch, type MatchAlgorithm } from '../engine/matching.js';
import { candidateProfile, jobProfile, type Matcher } from '../services/matcher.js';
import type { RecommendationSource, RecommendationStrategy, Recommender } from '../services/recommender.js';
import type { MatchHistory } from '../services/matchHistory.js';
import type { Cache } from '../cache/index.js';
import { POWER_USER_RECOMMENDATIONS_TTL_MS } from '../cache/policy.js';
import { tags } from '../cache/tags.js';
import { loaderSpec } from '../cache/tieredLoader.js';
import type { EntityLoaders } from './index.js';

export interface Engines {
  matcher: Matcher;
  recommender: Recommender;
  /** Where computed matches go (what matchingStats aggregates): on computation, not on every cache hit. */
  matchHistory: MatchHistory;
}

export interface RecommendationAsk {
  userId: number;
  n: number;
  strategy: RecommendationStrategy;
}

/** A user's recommendations, and whether they were a power user (whose lists live longer, seed 004). */
export interface RecommendationList {
  forPowerUser: boolean;
  items: RecommendationResult[];
  /** What the list was drawn from besides the user's ratings (services/recommender.ts): what its entry records. */
  drewOn: RecommendationSource[];
}

export interface PairAsk {
  candidateId: number;
  jobId: number;
  algorithm: MatchAlgorithm;
}

export interface RankingAsk {
  /** A candidate's id for topMatches, a job's for topCandidates. */
  id: number;
  limit: number;
  algorithm: MatchAlgorithm;
}

const views = { movieStats: tags.view('movie_stats'), topByGenre: tags.view('top_movies_by_genre'), matchingStats: tags.view('mv_matching_stats') };

/**
 * What a user's recommendations are built from: the user (whether a power user), their
 * ratings, and the sources the list drew on (`drewOn`): the movie_stats view for what is
 * popular; the profile's favourite genres (built from every movie's genres) and the
 * top_movies_by_genre view. Every movie's rating milestone refreshes the views: recorded by
 * every list, they would recompute every user's.
 */
function recommendationTags(userId: number, drewOn: readonly RecommendationSource[]): string[] {
  return [
    tags.entity('User', userId),
    tags.ratingsOf(userId),
    ...(drewOn.includes('popular') ? [views.movieStats] : []),
    ...(drewOn.includes('genres') ? [tags.movieGenres, views.topByGenre] : []),
  ];
}

export function computedSpecs(db: Db, { keys, policy }: Cache, engines: Engines) {
  const each =
    <K, V>(compute: (k: K, entities: EntityLoaders) => Promise<V>) =>
    (ks: readonly K[], entities: EntityLoaders) =>
      Promise.all(ks.map((k) => compute(k, entities)));
  const recommendationsTtlMs = policy.forField('Query.recommendations').ttlMs;
  const computed = <T extends MatchResult | MatchResult[]>(matches: T): T => {
    engines.matchHistory.record(Array.isArray(matches) ? matches : [matches]);
    return matches;
  };
  return {
    // A function of its arguments and the road model.
    travelTime: loaderSpec<{ from: GeoPoint; to: GeoPoint }, ReturnType<typeof travelTime>, EntityLoaders>(
      {
        type: 'Query.travelTime',
        key: ({ from, to }) => keys.geoDistance(from, to),
        tags: () => [tags.geo],
        ttlMs: policy.forField('Query.travelTime').ttlMs,
        load: async (pairs, entities) => {
          const roads = (await entities.roadModel.loadInput('current'))!;
          return pairs.map(({ from, to }) => travelTime(from, to, roads));
        },
      }
    ),
    popularMovieIds: loaderSpec(
      {
        type: 'Query.popularMovies',
        key: keys.popularMovies,
        tags: () => [views.movieStats],
        ttlMs: policy.forField('Query.popularMovies').ttlMs,
        load: each((limit: number) => popularMovieIds(db, limit)),
      }
    ),
    topMovieIdsByGenre: loaderSpec(
      {
        type: 'Query.topMoviesByGenre',
        key: ({ genre, limit }: { genre: string; limit: number }) => keys.topMoviesByGenre(genre, limit),
        tags: () => [views.topByGenre],
        ttlMs: policy.forField('Query.topMoviesByGenre').ttlMs,
        load: each(async ({ genre, limit }) => (await topMovieIdsByGenre(db, [genre], limit)).get(genre)!),
      }
    ),
    matchingStats: loaderSpec(
      {
        type: 'Query.matchingStats',
        key: ({ sector, hours }: { sector: string | null; hours: number }) => keys.matchingStats(sector, hours),
        tags: () => [views.matchingStats],
        ttlMs: policy.forField('Query.matchingStats').ttlMs,
        load: each(({ sector, hours }) => matchingStats(db, sector, hours)),
      }
    ),
    recommendations: loaderSpec<RecommendationAsk, RecommendationList, EntityLoaders>(
      {
        type: 'Query.recommendations',
        key: ({ userId, n, strategy }: RecommendationAsk) => keys.recommendations(userId, n, strategy),
        // Every source a list may draw on is versioned before the load; its entry records those it did.
        tags: ({ userId }) => recommendationTags(userId, ['popular', 'genres']),
        builtFrom: ({ userId }, list) => recommendationTags(userId, list.drewOn),
        ttlMs: (_, list) => (list.forPowerUser ? POWER_USER_RECOMMENDATIONS_TTL_MS : recommendationsTtlMs),
        exclusive: true,
        // Undefined (not cached) for a user who does not exist.
        load: each(async ({ userId, n, strategy }: RecommendationAsk, entities): Promise<RecommendationList | undefined> => {
          const user = await entities.user.loadInput(userId);
          if (!user) return undefined;
          const { picked, drewOn } = await engines.recommender.recommend(userId, n, strategy, {
            movie: (id) => entities.movie.loadInput(id),
            profile: (id) => entities.userProfile.loadInput(id),
            ratings: (id) => entities.userRatings.loadInput(id),
          });
          return { forPowerUser: user.is_power_user, items: picked, drewOn };
        }),
      }
    ),
    match: loaderSpec(
      {
        type: 'Query.match',
        key: ({ candidateId, jobId, algorithm }: PairAsk) => keys.match(candidateId, jobId, algorithm),
        tags: ({ candidateId, jobId, algorithm }) => [tags.scoringOf('Candidate', candidateId), tags.scoringOf('Job', jobId), tags.entity('AlgorithmWeights', algorithm), tags.geo],
        ttlMs: policy.forField('Query.match').ttlMs,
        load: each(async ({ candidateId, jobId, algorithm }: PairAsk, entities): Promise<MatchResult | undefined> => {
          const [candidate, job, weights, roads] = await Promise.all([
            entities.candidate.loadInput(candidateId),
            entities.job.loadInput(jobId),
            entities.algorithmWeights.loadInput(algorithm),
            entities.roadModel.loadInput('current'),
          ]);
          if (!candidate || !job || !weights) return undefined;
          return computed({ candidateId, jobId, algorithm, ...scoreMatch(candidateProfile(candidate), jobProfile(job), weights, roads) });
        }),
      }
    ),
    topMatches: loaderSpec(
      {
        type: 'Query.topMatches',
        key: ({ id, limit, algorithm }: RankingAsk) => keys.topMatches(id, limit, algorithm),
        tags: ({ id, algorithm }) => [tags.scoringOf('Candidate', id), tags.everyOf('Job'), tags.entity('AlgorithmWeights', algorithm), tags.geo],
        ttlMs: policy.forField('Query.topMatches').ttlMs,
        exclusive: true,
        load: each(async ({ id, limit, algorithm }: RankingAsk, entities): Promise<MatchResult[] | undefined> => {
          const [weights, roads] = await Promise.all([entities.algorithmWeights.loadInput(algorithm), entities.roadModel.loadInput('current')]);
          const ranked = weights && (await engines.matcher.topJobsFor(id, weights, limit, roads!));
          return ranked && computed(ranked.map(({ id: jobId, ...score }) => ({ candidateId: id, jobId, algorithm, ...score })));
        }),
      }
    ),
    topCandidates: loaderSpec(
      {
        type: 'Query.topCandidates',
        key: ({ id, limit, algorithm }: RankingAsk) => keys.topCandidates(id, limit, algorithm),
        tags: ({ id, algorithm }) => [tags.scoringOf('Job', id), tags.everyOf('Candidate'), tags.entity('AlgorithmWeights', algorithm), tags.geo],
        ttlMs: policy.forField('Query.topCandidates').ttlMs,
        exclusive: true,
        load: each(async ({ id, limit, algorithm }: RankingAsk, entities): Promise<MatchResult[] | undefined> => {
          const [weights, roads] = await Promise.all([entities.algorithmWeights.loadInput(algorithm), entities.roadModel.loadInput('current')]);
          const ranked = weights && (await engines.matcher.topCandidatesFor(id, weights, limit, roads!));
          return ranked && computed(ranked.map(({ id: candidateId, ...score }) => ({ candidateId, jobId: id, algorithm, ...score })));
        }),
      }
    ),
  };
}
