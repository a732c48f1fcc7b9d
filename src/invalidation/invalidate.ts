/**
 * What follows every write, before the mutation's response: the cached entries of the
 * changed entities are evicted from L1 and deleted from L2, the request's own loaders forget
 * them (a later field of the same operation reads them anew), and the changed entities are
 * announced to `cacheInvalidated` subscribers.
 *
 * This instance only, by exact key: tags, other instances and writes that bypass the
 * gateway are issue 4.
 */
import type { Loaders } from '../loaders/index.js';
import type { Services } from '../server/context.js';
import type { CacheKeys } from '../cache/keys.js';
import { logger } from '../log.js';
import type { DomainEvent } from './events.js';

const log = logger('invalidation');

/** Applies `events` to the cache tiers and this request's loaders, then announces them. */
export async function invalidate(services: Services, loaders: Loaders, events: readonly DomainEvent[]): Promise<void> {
  const keys = events.flatMap((event) => keysOf(services.cache.keys, event));
  // Fence first: a load already under way must neither be joined nor written back from now on.
  services.cache.fence.invalidate(keys);
  services.cache.singleFlight?.drop(keys);
  services.cache.l1?.evict(keys);
  try {
    await services.cache.l2?.del(keys);
  } catch (err) {
    log.error('could not delete changed entries from Redis; they may be served until their TTL ends', { keys, err });
  }
  for (const event of events) forget(loaders, event);
  services.feed.publish(events);
}

/** The cache keys an event makes out of date. */
function keysOf(keys: CacheKeys, event: DomainEvent): string[] {
  switch (event.type) {
    case 'RatingCreated':
    case 'RatingUpdated':
      return [keys.movieMetadata(event.movieId), keys.userProfile(event.userId)];
    case 'CandidateUpdated':
      return [keys.candidateProfile(event.candidateId)];
    case 'JobUpdated':
      return [keys.jobProfile(event.jobId)];
    case 'AlgorithmUpdated':
      return [];
  }
}

function forget(loaders: Loaders, event: DomainEvent): void {
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
