/**
 * What follows every write, before the mutation's response: the cached entries of the
 * entities the events changed (`entitiesOf`) are evicted from L1 and deleted from L2, the
 * request's own loaders forget them (a later field of the same operation reads them anew),
 * and the entities are announced to `cacheInvalidated` subscribers.
 *
 * This instance only, by exact key: tags, other instances and writes that bypass the
 * gateway are issue 4.
 */
import type { Loaders } from '../loaders/index.js';
import type { Services } from '../server/context.js';
import type { CacheKeys } from '../cache/keys.js';
import type { MatchAlgorithm } from '../engine/matching.js';
import { logger } from '../log.js';
import { entitiesOf, type DomainEvent } from './events.js';

const log = logger('invalidation');

/** Per changed entity type: its cache keys, and the loader entries to forget. */
const cachedAs: Record<string, { keys(keys: CacheKeys, id: string): string[]; forget(loaders: Loaders, id: string): void }> = {
  Movie: { keys: (k, id) => [k.movieMetadata(Number(id))], forget: (l, id) => l.movie.clear(Number(id)) },
  // A rating changes the user's profile; the user row itself (name, email) is unchanged.
  User: { keys: (k, id) => [k.userProfile(Number(id))], forget: (l, id) => l.userProfile.clear(Number(id)) },
  Candidate: { keys: (k, id) => [k.candidateProfile(Number(id))], forget: (l, id) => l.candidate.clear(Number(id)) },
  Job: { keys: (k, id) => [k.jobProfile(Number(id))], forget: (l, id) => l.job.clear(Number(id)) },
  // Weights are read per request, not cached yet.
  AlgorithmWeights: { keys: () => [], forget: (l, id) => l.algorithmWeights.clear(id as MatchAlgorithm) },
};

/** Applies `events` to the cache tiers and this request's loaders, then announces them. */
export async function invalidate(services: Services, loaders: Loaders, events: readonly DomainEvent[]): Promise<void> {
  const entities = events.flatMap((event) => entitiesOf(event));
  const keys = entities.flatMap(({ typename, id }) => cachedAs[typename]?.keys(services.cache.keys, id) ?? []);
  // Fence first: a load already under way must neither be joined nor written back from now on.
  services.cache.fence.invalidate(keys);
  services.cache.singleFlight?.drop(keys);
  services.cache.l1?.evict(keys);
  try {
    await services.cache.l2?.del(keys);
  } catch (err) {
    log.error('could not delete changed entries from Redis; they may be served until their TTL ends', { keys, err });
  }
  for (const { typename, id } of entities) cachedAs[typename]?.forget(loaders, id);
  services.feed.publish(events);
}
