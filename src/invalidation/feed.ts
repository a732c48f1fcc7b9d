/**
 * Feeds `cacheInvalidated` subscribers: each has its own filter and a bounded queue, so a
 * slow listener loses its oldest announcements (and is told so in the log) instead of
 * holding memory without limit.
 */
import type { InvalidatedEntity } from './events.js';
import { logger } from '../log.js';

const log = logger('invalidation.feed');
/** Announcements a subscriber may have waiting before the oldest are dropped. */
export const FEED_QUEUE_LIMIT = 1000;

export interface FeedFilter {
  typenames?: readonly string[] | null;
  ids?: readonly string[] | null;
}

interface Subscriber {
  filter: FeedFilter;
  queue: InvalidatedEntity[];
  wake: (() => void) | null;
  closed: boolean;
  /** Announcements dropped because the queue was full. */
  dropped: number;
}

export class InvalidationFeed {
  private readonly subscribers = new Set<Subscriber>();

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** Announcements waiting across every subscriber (bounded by FEED_QUEUE_LIMIT each). */
  get queued(): number {
    let n = 0;
    for (const subscriber of this.subscribers) n += subscriber.queue.length;
    return n;
  }

  /** Announces `entities` to every subscriber of this instance whose filter matches. */
  announce(entities: readonly InvalidatedEntity[]): void {
    for (const entity of entities) {
      for (const subscriber of this.subscribers) {
        if (!matches(subscriber.filter, entity)) continue;
        subscriber.queue.push(entity);
        if (subscriber.queue.length > FEED_QUEUE_LIMIT) {
          subscriber.queue.shift();
          // Logged at the first drop and every FEED_QUEUE_LIMIT after: a stuck listener must not flood the log.
          if (subscriber.dropped++ % FEED_QUEUE_LIMIT === 0) {
            log.warn('a subscriber is not keeping up; dropping its oldest announcements', { limit: FEED_QUEUE_LIMIT, dropped: subscriber.dropped });
          }
        }
        subscriber.wake?.();
      }
    }
  }

  /** An async iterator of the matching announcements from now on; `return()` ends it. */
  subscribe(filter: FeedFilter): AsyncIterableIterator<{ cacheInvalidated: InvalidatedEntity }> {
    const subscriber: Subscriber = { filter, queue: [], wake: null, closed: false, dropped: 0 };
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
