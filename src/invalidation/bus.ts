/**
 * The bus: Redis pub/sub between gateway instances, carrying only invalidations. A write on
 * one instance publishes the tags it re-versioned and the entities it changed; every other
 * instance forgets those tags' versions (so its L1 entries built from them miss, and their
 * current versions are read from Redis again) and announces the entities to its own
 * `cacheInvalidated` subscribers.
 *
 * Pub/sub keeps nothing for a subscriber that is away. While an instance's subscription is
 * down it trusts nothing in L1 (another instance's write would not reach it), and every time
 * the subscription is (re)established it clears its L1 and its version mirror before trusting
 * them again.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { connectRedis, type RedisTarget } from '../redis.js';
import type { TagMarks } from '../cache/tagMarks.js';
import type { InvalidatedEntity } from './events.js';
import { BUS_CHANNEL, parseBusMessage, preciseNow, subscriberOptions, type BusMessage } from './busMessage.js';
import { BusWatcher, type WatcherNotice } from './busWatcher.js';
import { logger } from '../log.js';

const log = logger('invalidation.bus');

/** Messages whose second copy (subscription or watcher) is still to come, at most. */
const AWAITED_COPIES = 10_000;

export interface BusHandlers {
  /** Another instance changed what `tags` name, and these entities. */
  remote(tags: string[], entities: InvalidatedEntity[]): void;
  /** How long after the start of another instance's invalidation this instance's L1 stopped trusting what it changed. */
  distrusted?(lagMs: number): void;
  /** The subscription dropped: messages sent from now on do not reach this instance. */
  disconnected?(): void;
  /** The subscription is (re)established: messages may have been missed while it was not. */
  resubscribed(): void;
}

export class InvalidationBus {
  readonly instanceId = randomUUID();
  private readonly subscriber: Redis;
  private readonly watcher: BusWatcher | undefined;
  /** Times the subscription was established: 1 after start, more after reconnects. */
  subscriptions = 0;
  private closing = false;
  private sent = 0;
  /** With the watcher: messages handled once, by id, with when L1 stopped trusting their tags. */
  private readonly firstCopies = new Map<string, number>();

  /**
   * The bus subscribes on a connection of its own; messages go out through L2's
   * (L2.setVersions). With `marks`, a watcher thread marks what messages change as they arrive.
   */
  constructor(
    target: RedisTarget,
    private readonly handlers: BusHandlers,
    private readonly marks?: TagMarks,
  ) {
    this.subscriber = connectRedis(target, subscriberOptions(`strata-bus-${process.pid}`));
    this.subscriber.on('error', (err) => log.debug('subscriber connection error', { err }));
    this.subscriber.on('close', () => {
      if (this.subscriptions === 0 || this.closing) return;
      log.warn('invalidation bus disconnected; L1 is not trusted until it is back, then cleared');
      this.handlers.disconnected?.();
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
    this.watcher = marks && new BusWatcher(target, this.instanceId, marks, (notice) => this.noticed(notice));
  }

  /**
   * Resolves once subscribed (the watcher thread too), or after `timeoutMs` either way (the
   * gateway serves meanwhile): true when this thread's subscription is up.
   */
  async subscribed(timeoutMs: number): Promise<boolean> {
    const up = () => this.subscriptions > 0 && (this.watcher?.subscribed ?? true);
    const deadline = Date.now() + timeoutMs;
    while (!up() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
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
      id: `${this.instanceId}:${++this.sent}`,
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
    await this.watcher?.close();
  }

  /** A message on this thread's own subscription. */
  private receive(text: string): void {
    const message = parseBusMessage(text);
    if (!message) return void log.warn('ignored a bus message that is not one', { text: text.slice(0, 200) });
    if (message.from !== this.instanceId) this.handle(message, preciseNow());
  }

  /** A message the watcher marked (in the order it marked them): the mark is now handled here. */
  private noticed({ text, markedAt }: WatcherNotice): void {
    const message = parseBusMessage(text)!;
    this.marks!.handle(message.tags);
    this.handle(message, markedAt);
  }

  /**
   * A copy of a message, whose tags L1 stopped trusting at `distrustedAt` (epoch ms): the first
   * is handled; with the watcher, the second only tells which of the two was earlier.
   */
  private handle(message: BusMessage, distrustedAt: number): void {
    const startedAt = Number(message.startedAt);
    if (this.watcher && message.id !== undefined) {
      const first = this.firstCopies.get(message.id);
      if (first !== undefined) {
        this.firstCopies.delete(message.id);
        return void this.handlers.distrusted?.(Math.min(first, distrustedAt) - startedAt);
      }
      this.firstCopies.set(message.id, distrustedAt);
      // A Map iterates in insertion order: the oldest goes (its second copy was lost).
      if (this.firstCopies.size > AWAITED_COPIES) this.firstCopies.delete(this.firstCopies.keys().next().value!);
    } else {
      this.handlers.distrusted?.(distrustedAt - startedAt);
    }
    this.handlers.remote(message.tags, (message.entities ?? []).map((e) => ({ ...e, at: new Date(e.at) })));
  }
}
