/**
 * The bus: Redis pub/sub between gateway instances, carrying only invalidations. A write on
 * one instance publishes the tags it re-versioned and the entities it changed; every other
 * instance forgets those tags' versions (so its L1 entries built from them miss, and their
 * current versions are read from Redis again) and announces the entities to its own
 * `cacheInvalidated` subscribers.
 *
 * Pub/sub keeps nothing for a subscriber that is away. An instance whose subscription
 * dropped may have missed messages, so every time the subscription is (re)established it
 * clears its L1 and its version mirror before trusting them again.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import type { InvalidatedEntity } from './events.js';
import { logger } from '../log.js';

const log = logger('invalidation.bus');

/**
 * One channel for every deploy: tag versions live outside the schema-versioned key prefix,
 * and instances of two deploys (a rolling update) must hear each other's writes.
 */
export const BUS_CHANNEL = 'strata:invalidations';

/** What travels on the channel. */
interface BusMessage {
  /** The instance that wrote: it ignores its own messages. */
  from: string;
  /** When the writer began invalidating (right after its commit), in epoch ms with a fraction. */
  startedAt: number;
  tags: string[];
  entities: Array<Omit<InvalidatedEntity, 'at'> & { at: string }>;
}

export interface BusHandlers {
  /** Another instance changed what `tags` name, and these entities, beginning at `startedAt` (epoch ms). */
  remote(tags: string[], entities: InvalidatedEntity[], startedAt: number): void;
  /** The subscription is (re)established: messages may have been missed while it was not. */
  resubscribed(): void;
}

/** The time now in epoch ms with a fraction: comparable between processes of one machine. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

export class InvalidationBus {
  readonly instanceId = randomUUID();
  private readonly subscriber: Redis;
  /** Times the subscription was established: 1 after start, more after reconnects. */
  subscriptions = 0;
  private closing = false;

  /** The bus subscribes on a connection of its own; messages go out through L2's (L2.setVersions). */
  constructor(
    url: string,
    private readonly handlers: BusHandlers,
  ) {
    this.subscriber = new Redis(url, {
      // Named so an operator (or a test) can tell it apart in CLIENT LIST.
      connectionName: `strata-bus-${process.pid}`,
      // A subscriber sends nothing but SUBSCRIBE, which ioredis repeats on every reconnect.
      maxRetriesPerRequest: null,
      retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
    });
    this.subscriber.on('error', (err) => log.debug('subscriber connection error', { err }));
    this.subscriber.on('close', () => {
      if (this.subscriptions > 0 && !this.closing) log.warn('invalidation bus disconnected; L1 will be cleared when it is back');
    });
    this.subscriber.on('ready', () => {
      // Cleared once SUBSCRIBE is acknowledged, not at 'ready' (which ioredis emits before it
      // re-subscribes): an entry cached between the two could miss a message sent meanwhile.
      this.subscriber.subscribe(BUS_CHANNEL).then(
        () => {
          if (this.subscriptions++ > 0) log.info('invalidation bus reconnected; cleared L1, which may have missed invalidations');
          this.handlers.resubscribed();
        },
        (err) => log.warn('could not subscribe to the invalidation bus; retrying on reconnect', { err }),
      );
    });
    this.subscriber.on('message', (channel, text) => {
      if (channel === BUS_CHANNEL) this.receive(text);
    });
  }

  /** Resolves once subscribed, or after `timeoutMs` either way (the gateway serves meanwhile). */
  async subscribed(timeoutMs: number): Promise<boolean> {
    if (this.subscriptions > 0) return true;
    const deadline = Date.now() + timeoutMs;
    while (this.subscriptions === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return this.subscriptions > 0;
  }

  /**
   * The message that tells every other instance, for the channel BUS_CHANNEL. It goes out in
   * the same round trip as the new versions (L2.setVersions), before a mutation answers, so a
   * client that got the answer and then asks another instance finds it told: Redis wrote the
   * message to that instance's socket before it acknowledged the PUBLISH.
   */
  message(tags: readonly string[], entities: readonly InvalidatedEntity[], startedAt: number): { channel: string; message: string } {
    const message: BusMessage = {
      from: this.instanceId,
      startedAt,
      tags: [...tags],
      entities: entities.map((e) => ({ ...e, at: e.at.toISOString() })),
    };
    return { channel: BUS_CHANNEL, message: JSON.stringify(message) };
  }

  /**
   * Resolves once this process has polled its sockets again. A request that arrived after a
   * mutation's response elsewhere is served after this: the bus message Redis sent before
   * acknowledging that mutation's PUBLISH sits in this process's socket, and Node does not
   * promise to read it before the request's (both may be ready in one poll, in either order).
   * The first setImmediate runs in this loop turn's check phase; the second only after the
   * next turn's poll phase, which reads every socket that is ready.
   */
  caughtUp(): Promise<void> {
    return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
  }

  async close(): Promise<void> {
    this.closing = true;
    this.subscriber.disconnect();
  }

  private receive(text: string): void {
    let message: BusMessage;
    try {
      message = JSON.parse(text) as BusMessage;
    } catch (err) {
      return void log.warn('ignored a bus message that is not JSON', { err });
    }
    if (message.from === this.instanceId || !Array.isArray(message.tags)) return;
    this.handlers.remote(
      message.tags,
      (message.entities ?? []).map((e) => ({ ...e, at: new Date(e.at) })),
      Number(message.startedAt),
    );
  }
}
