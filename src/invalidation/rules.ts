/**
 * What each domain event makes out of date, as tags (cache/tags.ts), following the seeds:
 * seed 000's table (a candidate's or job's update invalidates its profile and every match
 * of it, an algorithm's every match scored with it) and seed 004's (a rating invalidates the
 * user's recommendations, every n and strategy, their profile and the movie's stats).
 * Entries record these tags, so one new version per tag reaches every key built from it, at
 * a cost proportional to the tags, never to the keyspace (no KEYS, no SCAN).
 *
 * Seed 004 also drops the popular lists at rating milestones. Here those lists come from the
 * movie_stats and top_movies_by_genre views: a milestone (`viewsToRefresh`) asks for the
 * views to be refreshed, and the refresh's ViewRefreshed invalidates what was built from
 * them. Dropping the lists at the milestone itself would only recompute the same answer.
 */
import { tags } from '../cache/tags.js';
import type { DomainEvent, ViewName } from './events.js';

/** Every this-many ratings of a movie, its popularity is worth recomputing (seed 004: the 100th rating). */
export const RATING_MILESTONE = 100;

/** The event whose `type` can be T (one variant carries two types). */
type EventOf<T> = DomainEvent extends infer E ? (E extends { type: infer U } ? (T extends U ? E : never) : never) : never;
type Rules = { [T in DomainEvent['type']]: (event: EventOf<T>) => string[] };

/**
 * A candidate's or job's profile; and, when a field the score reads may have changed, every
 * match of it and, through `Type:*`, every ranking over its kind, which may gain or lose it.
 */
function profileUpdated(typename: 'Candidate' | 'Job', id: number, scoring = true): string[] {
  const profile = tags.entity(typename, id);
  return scoring ? [profile, tags.scoringOf(typename, id), tags.everyOf(typename)] : [profile];
}

/** The user's ratings feed their recommendations and profile (not their row); the movie's, its stats. */
function ratingChanged(e: { userId: number; movieId: number }): string[] {
  return [tags.ratingsOf(e.userId), tags.entity('Movie', e.movieId)];
}

const rules: Rules = {
  RatingCreated: ratingChanged,
  RatingUpdated: ratingChanged,
  RatingDeleted: ratingChanged,
  CandidateUpdated: (e) => profileUpdated('Candidate', e.candidateId, e.scoring),
  JobUpdated: (e) => profileUpdated('Job', e.jobId, e.scoring),
  CompanyUpdated: (e) => [tags.entity('Company', e.companyId)],
  // Written outside the gateway (psql): the outbox does not say which columns changed, so the
  // genres may have, and with them every profile and recommendation built from them. Rare.
  MovieUpdated: (e) => [tags.entity('Movie', e.movieId), tags.movieGenres],
  UserUpdated: (e) => [tags.entity('User', e.userId)],
  AlgorithmUpdated: (e) => [tags.entity('AlgorithmWeights', e.algorithm)],
  // Seed 000's `geo:*`: travel times, and the matches that score them.
  GeoDataUpdated: () => [tags.geo],
  ViewRefreshed: (e) => [tags.view(e.view)],
};

/** The tags whose entries `event` made out of date. */
export function tagsOf(event: DomainEvent): string[] {
  return (rules[event.type] as (e: DomainEvent) => string[])(event);
}

/** The views an event makes worth refreshing: the movie views at a movie's rating milestone. */
export function viewsToRefresh(event: DomainEvent): ViewName[] {
  const milestone =
    event.type === 'RatingCreated' && event.movieRatingCount !== null && event.movieRatingCount % RATING_MILESTONE === 0;
  return milestone ? ['movie_stats', 'top_movies_by_genre'] : [];
}
