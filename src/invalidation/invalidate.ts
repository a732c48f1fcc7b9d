/**
 * What follows every write, before the mutation's response: each tag the events name
 * (`tagsOf`) gets a new version — in this instance's mirror and in Redis, which every
 * instance reads — so every entry built from what changed reads as invalid from now on,
 * including one a load under way stores later; the request's loaders forget what they read;
 * the changed entities are announced to `cacheInvalidated` subscribers.
 *
 * Other instances' L1 (a bus) and writes that bypass the gateway (NOTIFY) are issue 4.
 */
import type { Loaders } from '../loaders/index.js';
import type { Services } from '../server/context.js';
import { logger } from '../log.js';
import { tagsOf, type DomainEvent } from './events.js';

const log = logger('invalidation');

export async function invalidate(services: Services, loaders: Loaders, events: readonly DomainEvent[]): Promise<void> {
  const { versions, l2, keys } = services.cache;
  const bumped = versions?.bump(events.flatMap(tagsOf)) ?? {};
  try {
    await l2?.setVersions(Object.entries(bumped).map(([tag, version]) => ({ key: keys.tagVersion(tag), version })));
  } catch (err) {
    log.error('could not version the changed tags in Redis; other instances may serve what changed until its TTL ends', {
      tags: Object.keys(bumped),
      err,
    });
  }
  loaders.forgetAll();
  services.feed.publish(events);
}
