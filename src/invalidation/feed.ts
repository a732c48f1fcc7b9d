/**
 * Feeds `cacheInvalidated` subscribers: each has its own filter and a bounded queue, so a
 * slow listener loses its oldest announcements (and is told so in the log) instead of
 * holding memory without limit.
 */
import type { InvalidatedEntity } from './events.js';
import { logger } from '../log.js';

const log = logger('invalidation.feed');
/** Announcements a subscriber may have waiting before the oldest are dropped. */
const QUEUE_LIMIT = 1000;

export interface FeedFilter {
  typenames?: readonly string[] | null;
  ids?: readonly string[] | null;
}

interface Subscriber {
  filter: FeedFilter;
  queue: InvalidatedEntity[];
  wake: (() => void) | null;
  closed: boolean;
}

export class InvalidationFeed {
  private readonly subscribers = new Set<Subscriber>();

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** Announces `entities` to every subscriber of this instance whose filter matches. */
  announce(entities: readonly InvalidatedEntity[]): void {
    for (const entity of entities) {
      for (const subscriber of this.subscribers) {
        if (!matches(subscriber.filter, entity)) continue;
        subscriber.queue.push(entity);
        if (subscriber.queue.length > QUEUE_LIMIT) {
          subscriber.queue.shift();
          log.warn('a subscriber is not keeping up; dropped its oldest announcement', { limit: QUEUE_LIMIT });
        }
        subscriber.wake?.();
      }
    }
  }

  /** An async iterator of the matching announcements from now on; `return()` ends it. */
  subscribe(filter: FeedFilter): AsyncIterableIterator<{ cacheInvalidated: InvalidatedEntity }> {
    const subscriber: Subscriber = { filter, queue: [], wake: null, closed: false };
    this.subscribers.add(subscriber);
    const close = () => {
      subscriber.closed = true;
      this.subscribers.delete(subscriber);
      subscriber.wake?.();
    };
    const iterator: AsyncIterableIterator<{ cacheInvalidated: InvalidatedEntity }> = {
      async next() {
        while (!subscriber.closed && subscriber.queue.length === 0) {
          await new Promise<void>((resolve) => (subscriber.wake = resolve));
          subscriber.wake = null;
        }
        if (subscriber.closed) return { done: true, value: undefined };
        return { done: false, value: { cacheInvalidated: subscriber.queue.shift()! } };
      },
      async return() {
        close();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }
}

function matches(filter: FeedFilter, entity: InvalidatedEntity): boolean {
  if (filter.typenames && filter.typenames.length > 0 && !filter.typenames.includes(entity.typename)) return false;
  if (filter.ids && filter.ids.length > 0 && !filter.ids.includes(entity.id)) return false;
  return true;
}
