/**
 * What follows every write, before the mutation's response: the request's own loaders
 * forget the changed entities (a later field of the same operation reads them anew), and
 * the changed entities are announced to `cacheInvalidated` subscribers.
 */
import type { Loaders } from '../loaders/index.js';
import type { Services } from '../server/context.js';
import type { DomainEvent } from './events.js';

/** Applies `events` to this request's loaders and announces them. */
export function invalidate(services: Services, loaders: Loaders, events: readonly DomainEvent[]): void {
  for (const event of events) {
    switch (event.type) {
      case 'RatingCreated':
      case 'RatingUpdated':
        loaders.movie.clear(event.movieId);
        loaders.userProfile.clear(event.userId);
        break;
      case 'CandidateUpdated':
        loaders.candidate.clear(event.candidateId);
        break;
      case 'JobUpdated':
        loaders.job.clear(event.jobId);
        break;
      case 'AlgorithmUpdated':
        loaders.algorithmWeights.clear(event.algorithm);
        break;
    }
  }
  services.feed.publish(events);
}
