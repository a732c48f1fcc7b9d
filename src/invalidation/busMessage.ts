/**
 * What travels on the bus, read by the main thread (bus.ts) and by the bus watcher thread
 * (busWatcher.thread.ts) alike.
 */
import { performance } from 'node:perf_hooks';
import type { InvalidatedEntity } from './events.js';

/**
 * One channel for every deploy: tag versions live outside the schema-versioned key prefix,
 * and instances of two deploys (a rolling update) must hear each other's writes.
 */
export const BUS_CHANNEL = 'strata:invalidations';

export interface BusMessage {
  /**
   * Unique per message: an instance hears each one twice (its own subscription, the
   * watcher's) and handles it once. Absent from an older deploy's messages, handled twice.
   */
  id?: string;
  /** The instance that wrote: it ignores its own messages. */
  from: string;
  /**
   * The writer's count of messages sent, this one included (1, 2, …). A receiver that hears 3
   * after 1 missed 2. Absent from an older deploy's messages.
   */
  seq?: number;
  /**
   * A heartbeat, not an invalidation: `seq` is the writer's count so far, so a receiver learns
   * it missed the writer's last messages even when the writer sends nothing after them.
   */
  heartbeat?: true;
  /**
   * On a heartbeat: the writer has invalidations Redis did not take (a node of the cluster
   * down, say) and is sending them again. Until a heartbeat without it, no instance trusts
   * its L1 or L2: Redis may still hold, or come back with, the versions those writes replaced.
   */
  withholding?: true;
  /** When the writer began invalidating (right after its commit), in epoch ms with a fraction. */
  startedAt: number;
  tags: string[];
  entities: Array<Omit<InvalidatedEntity, 'at'> & { at: string }>;
}

/** A heartbeat of `from`, which has sent `seq` messages (and is `withholding` invalidations Redis did not take). */
export function heartbeatMessage(from: string, seq: number, withholding = false): string {
  const message: BusMessage = { from, seq, heartbeat: true, startedAt: 0, tags: [], entities: [] };
  if (withholding) message.withholding = true;
  return JSON.stringify(message);
}

/** The message in `text`; undefined when it is not one. */
export function parseBusMessage(text: string): BusMessage | undefined {
  try {
    const message = JSON.parse(text) as BusMessage;
    return Array.isArray(message?.tags) ? message : undefined;
  } catch {
    return undefined;
  }
}

/** The time now in epoch ms with a fraction: comparable between processes (and threads) of one machine. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}
