/**
 * The domain events writes emit, and the entities each one changes. The invalidation path
 * starts here: every command returns its events, and so does a write that bypassed the
 * gateway (read back from the change outbox, pgListen.ts); rules.ts says what each makes
 * out of date, and the entities are announced to `cacheInvalidated` subscribers.
 */
import type { MatchAlgorithm } from '../engine/matching.js';

/** The materialized views (db/migrations/002_views.sql). */
export type ViewName = 'movie_stats' | 'top_movies_by_genre' | 'mv_matching_stats';

export type DomainEvent =
  /** `movieRatingCount`: the movie's ratings after the write (milestones, seed 004); null when unknown. */
  | { type: 'RatingCreated' | 'RatingUpdated'; userId: number; movieId: number; movieRatingCount: number | null }
  | { type: 'RatingDeleted'; userId: number; movieId: number }
  /**
   * `scoring`: whether a field a match score reads may have changed (skills, experience,
   * salary, location, remote); false only when the writer knows none did (a new title), so
   * matches and rankings built from the rest stay. Unknown (a write through the outbox): true.
   */
  | { type: 'CandidateUpdated'; candidateId: number; scoring?: boolean }
  | { type: 'JobUpdated'; jobId: number; scoring?: boolean }
  | { type: 'CompanyUpdated'; companyId: number }
  | { type: 'MovieUpdated'; movieId: number }
  | { type: 'UserUpdated'; userId: number }
  | { type: 'AlgorithmUpdated'; algorithm: MatchAlgorithm }
  /** The road model (geo data) changed: every travel time, and so every match score. */
  | { type: 'GeoDataUpdated' }
  | { type: 'ViewRefreshed'; view: ViewName };

/** An entity a change made out of date, as the subscription announces it. */
export interface InvalidatedEntity {
  typename: string;
  id: string;
  reason: DomainEvent['type'];
  at: Date;
}

/** The entities `event` changed (a refreshed view is announced as `MaterializedView`, new geo data as every `TravelTime`, id `*`). */
export function entitiesOf(event: DomainEvent, at: Date = new Date()): InvalidatedEntity[] {
  const entity = (typename: string, id: string | number): InvalidatedEntity => ({ typename, id: String(id), reason: event.type, at });
  switch (event.type) {
    case 'RatingCreated':
    case 'RatingUpdated':
    case 'RatingDeleted':
      return [entity('User', event.userId), entity('Movie', event.movieId)];
    case 'CandidateUpdated':
      return [entity('Candidate', event.candidateId)];
    case 'JobUpdated':
      return [entity('Job', event.jobId)];
    case 'CompanyUpdated':
      return [entity('Company', event.companyId)];
    case 'MovieUpdated':
      return [entity('Movie', event.movieId)];
    case 'UserUpdated':
      return [entity('User', event.userId)];
    case 'AlgorithmUpdated':
      return [entity('AlgorithmWeights', event.algorithm)];
    case 'GeoDataUpdated':
      return [entity('TravelTime', '*')];
    case 'ViewRefreshed':
      return [entity('MaterializedView', event.view)];
  }
}
