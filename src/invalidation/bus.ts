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
 * them again. Two losses give no sign on the connection itself, and are looked for:
 *
 * - a connection gone silent (a frozen server, a network that drops everything): a PING on the
 *   subscription every heartbeat; no PONG within three heartbeats counts as disconnected, and
 *   the connection is replaced;
 * - a message lost while the connection stayed up (a failover; a write whose PUBLISH failed):
 *   every message carries its writer's sequence number, and every writer publishes its count
 *   each heartbeat, so a receiver hearing 3 after 1, or a count ahead of what it heard, clears
 *   L1 and its version mirror (`missed`).
 *
 * A write whose new versions Redis did not take is sent again until it is (invalidate.ts). On
 * a cluster, the bus may well be up meanwhile (the node that failed holds other slots), and the
 * node's replica may come back with the old versions: the writer says it is `withholding` in
 * its heartbeats, at once and until every such write is delivered, and no instance trusts L1
 * or L2 while any writer is.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RedisTarget } from '../redis/connect.js';
import type { TagMarks } from '../cache/tagMarks.js';
import type { InvalidatedEntity } from './events.js';
import { BUS_CHANNEL, heartbeatMessage, parseBusMessage, preciseNow, type BusMessage } from './busMessage.js';
import { connectSubscriber, type BusSubscriber } from './busConnection.js';
import { BusWatcher, type WatcherNotice } from './busWatcher.js';
import { pollWaiter } from './pollWaiter.js';
import { logger } from '../log.js';

const log = logger('invalidation.bus');

/** Messages whose second copy (subscription or watcher) is still to come, at most. */
const AWAITED_COPIES = 10_000;
/** Writers whose sequence is followed, at most (the least recently heard go first). */
const FOLLOWED_WRITERS = 10_000;
/** Heartbeats without a PONG after which the subscription counts as gone. */
const SILENT_HEARTBEATS = 3;

export interface BusHandlers {
  /** Another instance changed what `tags` name, and these entities. */
  remote(tags: string[], entities: InvalidatedEntity[]): void;
  /** How long after the start of another instance's invalidation this instance's L1 stopped trusting what it changed. */
  distrusted?(lagMs: number): void;
  /** The subscription dropped: messages sent from now on do not reach this instance. */
  disconnected?(): void;
  /** The subscription is (re)established: messages may have been missed while it was not. */
  resubscribed(): void;
  /** A message from another instance was lost while the subscription stayed up. */
  missed(): void;
  /** Another instance's heartbeat: it is, or is no longer, withholding writes Redis did not take. */
  withholding(from: string, withholding: boolean): void;
}

/** Where bus messages go out: L2's connection (L2.publish). */
export interface BusPublisher {
  /** Whether the connection is up now. */
  readonly ready: boolean;
  publish(channel: string, text: string): Promise<unknown>;
}

/**
 * A bus message on its way out. It takes its writer's next sequence number when it is first
 * sent (L2.setVersions calls `text` as it sends it), not when built: a heartbeat never counts a
 * message still waiting to go out. Sent again (a failed delivery), it keeps its number.
 */
export interface Announcement {
  channel: string;
  text(): string;
}

export interface BusOptions {
  /** With the bus watcher: marks what messages change as they arrive, in another thread. */
  marks?: TagMarks;
  /**
   * The connection invalidations are published on (L2's), for the heartbeats: on the same
   * connection, a heartbeat never overtakes a message it counts.
   */
  publisher?: BusPublisher;
  /** How often the subscription is PINGed and this instance's count published. */
  heartbeatMs: number;
}

export class InvalidationBus {
  readonly instanceId = randomUUID();
  private readonly subscription: BusSubscriber;
  private readonly watcher: BusWatcher | undefined;
  /** Times the subscription was established: 1 after start, more after reconnects. */
  subscriptions = 0;
  private closing = false;
  private sent = 0;
  /** With the watcher: messages handled once, by id, with when L1 stopped trusting their tags. */
  private readonly firstCopies = new Map<string, number>();
  /** Each writer's highest sequence number heard on this subscription (least recently heard first). */
  private readonly heardSeqs = new Map<string, number>();
  /** Told `disconnected` and not yet `resubscribed`. */
  private down = false;
  /** When the PING in flight was sent (performance.now()), if one is. */
  private pingSentAt: number | undefined;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly marks: TagMarks | undefined;
  /** Whether this instance has writes Redis did not take (set by the invalidator; told in heartbeats). */
  private withholding = false;
  private readonly polled = pollWaiter();
  /** Messages found missing from the sequence (each clears L1). */
  gaps = 0;
  /** Times the subscription went silent and was replaced. */
  silences = 0;

  /**
   * The bus subscribes on a connection of its own; messages go out through L2's
   * (L2.setVersions).
   */
  constructor(
    target: RedisTarget,
    private readonly handlers: BusHandlers,
    private readonly options: BusOptions,
  ) {
    this.marks = options.marks;
    this.subscription = connectSubscriber(target, `strata-bus-${process.pid}`);
    this.subscriber.on('error', (err) => log.debug('subscriber connection error', { err }));
    this.subscriber.on('close', () => {
      this.pingSentAt = undefined;
      if (this.subscriptions === 0 || this.closing || this.down) return;
      log.warn('invalidation bus disconnected; L1 is not trusted until it is back, then cleared');
      this.goneDown();
    });
    this.subscriber.on('ready', () => {
      // Cleared once SUBSCRIBE is acknowledged, not at 'ready' (which ioredis emits before it
      // re-subscribes): an entry cached between the two could miss a message sent meanwhile.
      this.subscription.subscribe().then(
        () => {
          if (this.subscriptions++ > 0) log.info('invalidation bus reconnected; cleared L1, which may have missed invalidations');
          this.down = false;
          // Whatever was missed is cleared now: each writer's sequence is followed afresh.
          this.heardSeqs.clear();
          this.handlers.resubscribed();
        },
        (err) => log.warn('could not subscribe to the invalidation bus; retrying on reconnect', { err }),
      );
    });
    this.subscription.onMessage((text) => this.receive(text));
    this.watcher = this.marks && new BusWatcher(target, this.instanceId, this.marks, (notice) => this.noticed(notice));
    this.heartbeat = setInterval(() => this.beat(), options.heartbeatMs).unref();
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
   * The message that tells every other instance, for the channel BUS_CHANNEL. It goes out
   * after the new versions (L2.setVersions: in their round trip on one Redis, once every node
   * took them on a cluster), before a mutation answers, so a client that got the answer and
   * then asks another instance finds it told: the writer waits until Redis has written the
   * message to that instance's socket (L2.delivered).
   */
  message(tags: readonly string[], entities: readonly InvalidatedEntity[], startedAt: number): Announcement {
    let text: string | undefined;
    return {
      channel: BUS_CHANNEL,
      text: () => {
        if (text !== undefined) return text;
        const seq = ++this.sent;
        const message: BusMessage = {
          id: `${this.instanceId}:${seq}`,
          from: this.instanceId,
          seq,
          startedAt,
          tags: [...tags],
          entities: entities.map((e) => ({ ...e, at: e.at.toISOString() })),
        };
        return (text = JSON.stringify(message));
      },
    };
  }

  /**
   * Resolves once this process has polled its sockets again. A request that arrived after a
   * mutation's response elsewhere is served after this: the bus message Redis sent before
   * that mutation answered (L2.delivered) sits in this process's socket, and Node does not
   * promise to read it before the request's (both may be ready in one poll, in either order).
   * (pollWaiter.ts: one wait shared by the requests of a loop turn).
   */
  caughtUp(): Promise<void> {
    return this.polled();
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.heartbeat);
    this.subscriber.disconnect();
    await this.watcher?.close();
  }

  /** The subscription's connection. */
  private get subscriber(): Redis {
    return this.subscription.redis;
  }

  /** Whether the subscription is known to be away (closed, or found silent) and not yet back. */
  get isDown(): boolean {
    return this.down || this.subscriptions === 0;
  }

  /**
   * How long after Redis goes silent every instance has stopped trusting its L1, at most: a
   * PING sent within a heartbeat of it, unanswered for SILENT_HEARTBEATS more, noticed at the
   * next heartbeat, and one heartbeat of slack for a busy event loop.
   */
  get silenceBoundMs(): number {
    return (SILENT_HEARTBEATS + 2) * this.options.heartbeatMs;
  }

  /**
   * This instance has (or no longer has) writes Redis did not take: its heartbeats say so from
   * now on, and one goes out at once. Resolves true once Redis took that heartbeat, so a
   * writer knows every instance listening has been told.
   */
  setWithholding(withholding: boolean): Promise<boolean> {
    this.withholding = withholding;
    return this.publishHeartbeat();
  }

  /**
   * This instance's count (and whether it withholds) on the publishing connection, where it
   * cannot overtake a message it counts. Resolves true once Redis took it; a failed one is a
   * heartbeat missed.
   */
  private publishHeartbeat(): Promise<boolean> {
    const publisher = this.options.publisher;
    if (!publisher?.ready) return Promise.resolve(false);
    return publisher.publish(BUS_CHANNEL, heartbeatMessage(this.instanceId, this.sent, this.withholding)).then(
      () => true,
      () => false,
    );
  }

  private goneDown(): void {
    this.down = true;
    this.handlers.disconnected?.();
  }

  /**
   * One heartbeat: this instance's count goes out (fire and forget: a failed one is a
   * heartbeat missed), and the subscription is PINGed. A PING still unanswered after
   * SILENT_HEARTBEATS heartbeats means the connection carries nothing, though it looks open:
   * L1 stops being trusted now, and the connection is replaced (its close and the new
   * subscription clear L1 as any reconnect does).
   */
  private beat(): void {
    if (this.closing || this.subscriptions === 0) return;
    void this.publishHeartbeat();
    if (this.subscriber.status !== 'ready') return;
    if (this.pingSentAt === undefined) {
      const sentAt = (this.pingSentAt = performance.now());
      this.subscriber.ping().then(
        () => {
          if (this.pingSentAt === sentAt) this.pingSentAt = undefined;
        },
        () => undefined, // the connection closed: its 'close' handles it
      );
      return;
    }
    const waitedMs = performance.now() - this.pingSentAt;
    if (waitedMs < SILENT_HEARTBEATS * this.options.heartbeatMs) return;
    this.silences++;
    log.warn('invalidation bus silent: no PONG on its subscription; L1 is not trusted until a new connection is subscribed, then cleared', { waitedMs: Math.round(waitedMs) });
    this.pingSentAt = undefined;
    if (!this.down) this.goneDown();
    // Destroyed, not ended: a frozen server would never finish the close handshake.
    this.subscriber.stream?.destroy();
  }

  /** A message on this thread's own subscription. */
  private receive(text: string): void {
    const message = parseBusMessage(text);
    if (!message) return void log.warn('ignored a bus message that is not one', { text: text.slice(0, 200) });
    if (message.from === this.instanceId) return;
    this.followSequence(message);
    if (message.heartbeat) this.handlers.withholding(message.from, message.withholding === true);
    else this.handle(message, preciseNow());
  }

  /**
   * Checks `message` against what its writer sent before. This subscription delivers a
   * writer's messages in the order it published them, on one connection; a number skipped, or
   * a heartbeat counting more than was heard, is a message lost. A message heard late (sent
   * again after a failed PUBLISH) is handled as usual.
   */
  private followSequence(message: BusMessage): void {
    if (message.seq === undefined) return;
    const heard = this.heardSeqs.get(message.from);
    const expected = heard === undefined ? undefined : message.heartbeat ? heard : heard + 1;
    this.heardSeqs.delete(message.from);
    this.heardSeqs.set(message.from, Math.max(heard ?? 0, message.seq));
    if (this.heardSeqs.size > FOLLOWED_WRITERS) this.heardSeqs.delete(this.heardSeqs.keys().next().value!);
    if (expected === undefined || message.seq <= expected) return;
    this.gaps++;
    log.warn('lost invalidation messages from another instance; cleared L1 and the version mirror', { from: message.from, heard, seq: message.seq });
    this.handlers.missed();
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
