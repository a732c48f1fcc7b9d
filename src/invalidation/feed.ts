/**
 * Feeds `cacheInvalidated` subscribers: each has its own filter and a bounded queue. A
 * listener that falls further behind than the queue holds is cut off with
 * SUBSCRIBER_TOO_SLOW rather than left to miss announcements silently: a client that
 * missed one cannot know which of its data is stale, so it must resubscribe and refetch.
 */
import { GraphQLError } from 'graphql';
import type { InvalidatedEntity } from './events.js';
import { logger } from '../log.js';

const log = logger('invalidation.feed');
/** Announcements a subscriber may have waiting; one more ends its subscription. */
export const FEED_QUEUE_LIMIT = 1000;

/** Ends a subscription whose listener did not keep up; the client resubscribes and refetches. */
export class SubscriberTooSlowError extends GraphQLError {
  static readonly code = 'SUBSCRIBER_TOO_SLOW';
  constructor() {
    super(`this subscription fell over ${FEED_QUEUE_LIMIT} announcements behind and was ended; resubscribe, and refetch what you hold`, {
      extensions: { code: SubscriberTooSlowError.code, limit: FEED_QUEUE_LIMIT },
    });
  }
}

export interface FeedFilter {
  typenames?: readonly string[] | null;
  ids?: readonly string[] | null;
}

interface Subscriber {
  filter: FeedFilter;
  queue: InvalidatedEntity[];
  wake: (() => void) | null;
  closed: boolean;
  /** Ended for falling behind: its next read throws SubscriberTooSlowError. */
  tooSlow: boolean;
}

export class InvalidationFeed {
  private readonly subscribers = new Set<Subscriber>();
  /** Subscriptions ended for falling behind, since start. */
  tooSlow = 0;

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
        if (subscriber.queue.length === FEED_QUEUE_LIMIT) {
          this.cutOff(subscriber);
          continue;
        }
        subscriber.queue.push(entity);
        subscriber.wake?.();
      }
    }
  }

  /** Its queue is released at once; its reader learns why at its next read. */
  private cutOff(subscriber: Subscriber): void {
    this.subscribers.delete(subscriber);
    subscriber.queue = [];
    subscriber.tooSlow = true;
    subscriber.closed = true;
    this.tooSlow++;
    log.warn('a subscriber fell behind; its subscription is ended (SUBSCRIBER_TOO_SLOW)', { limit: FEED_QUEUE_LIMIT, filter: subscriber.filter });
    subscriber.wake?.();
  }

  /**
   * An async iterator of the matching announcements from now on; `return()` ends it. Its
   * `next()` rejects with SubscriberTooSlowError once it has fallen FEED_QUEUE_LIMIT behind.
   */
  subscribe(filter: FeedFilter): AsyncIterableIterator<{ cacheInvalidated: InvalidatedEntity }> {
    const subscriber: Subscriber = { filter, queue: [], wake: null, closed: false, tooSlow: false };
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
        if (subscriber.tooSlow) {
          subscriber.tooSlow = false;
          throw new SubscriberTooSlowError();
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
