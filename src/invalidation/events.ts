/**
 * The domain events mutations emit, and the entities each one changes. The invalidation
 * path starts here: every command returns its events, and they are announced to
 * `cacheInvalidated` subscribers.
 */
import type { MatchAlgorithm } from '../engine/matching.js';
import { tags } from '../cache/tags.js';

export type DomainEvent =
  | { type: 'RatingCreated' | 'RatingUpdated'; userId: number; movieId: number; movieRatingCount: number }
  | { type: 'CandidateUpdated'; candidateId: number }
  | { type: 'JobUpdated'; jobId: number }
  | { type: 'AlgorithmUpdated'; algorithm: MatchAlgorithm };

/** An entity a change made out of date, as the subscription announces it. */
export interface InvalidatedEntity {
  typename: string;
  id: string;
  reason: DomainEvent['type'];
  at: Date;
}

/**
 * The tags (cache/tags.ts) whose entries `event` made out of date: the entities it changed,
 * and `Type:*` for rankings over every entity of a type it changed one of.
 */
export function tagsOf(event: DomainEvent): string[] {
  const changed = entitiesOf(event).map(({ typename, id }) => tags.entity(typename, id));
  switch (event.type) {
    case 'CandidateUpdated':
      return [...changed, tags.everyOf('Candidate')];
    case 'JobUpdated':
      return [...changed, tags.everyOf('Job')];
    default:
      return changed;
  }
}

/** The entities `event` changed. */
export function entitiesOf(event: DomainEvent, at: Date = new Date()): InvalidatedEntity[] {
  const entity = (typename: string, id: string | number): InvalidatedEntity => ({ typename, id: String(id), reason: event.type, at });
  switch (event.type) {
    case 'RatingCreated':
    case 'RatingUpdated':
      return [entity('User', event.userId), entity('Movie', event.movieId)];
    case 'CandidateUpdated':
      return [entity('Candidate', event.candidateId)];
    case 'JobUpdated':
      return [entity('Job', event.jobId)];
    case 'AlgorithmUpdated':
      return [entity('AlgorithmWeights', event.algorithm)];
  }
}
