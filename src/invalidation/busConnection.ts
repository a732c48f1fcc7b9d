/**
 * The bus's subscriber connection, for the main thread's subscription and the watcher thread's
 * alike. On one Redis: SUBSCRIBE. On a cluster: sharded pub/sub, SSUBSCRIBE on a connection to
 * the master serving the channel's slot (redis/slotMaster.ts), where L2 SPUBLISHes: the master
 * writes a message to its subscribers in the turn it answers the writer, as one Redis does, and
 * the writer answers only after its next command there (L2.delivered), so an instance that
 * hears of a mutation's answer has already been sent its invalidation.
 */
import type { Redis, RedisOptions } from 'ioredis';
import { connectRedis, type RedisTarget } from '../redis/connect.js';
import { connectToSlotMaster } from '../redis/slotMaster.js';
import { BUS_CHANNEL } from './busMessage.js';

export interface BusSubscriber {
  readonly redis: Redis;
  /** Subscribes to BUS_CHANNEL (again after each reconnection: the caller's to do, on 'ready'). */
  subscribe(): Promise<unknown>;
  /** Hears every message on BUS_CHANNEL. */
  onMessage(listener: (text: string) => void): void;
}

/** A subscriber connection to the bus, named `connectionName` in CLIENT LIST. */
export function connectSubscriber(target: RedisTarget, connectionName: string): BusSubscriber {
  const options: RedisOptions = {
    connectionName,
    // A subscriber sends nothing but (S)SUBSCRIBE and PING: nothing to retry but the connection.
    maxRetriesPerRequest: null,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
  };
  if (!target.clusterNodes) {
    const redis = connectRedis(target, options) as Redis;
    return {
      redis,
      subscribe: () => redis.subscribe(BUS_CHANNEL),
      onMessage: (listener) => redis.on('message', (channel: string, text: string) => channel === BUS_CHANNEL && listener(text)),
    };
  }
  // The caller subscribes at every 'ready', after the connector found the slot's master again.
  const redis = connectToSlotMaster(target, BUS_CHANNEL, { ...options, autoResubscribe: false });
  redis.on('error', (err: Error) => {
    // A master that gives its slot up (a failover, a migration) ends its sharded subscriptions
    // with an SUNSUBSCRIBE nobody asked for, which ioredis reports this way. Reconnecting finds
    // the slot's new master; the caller hears the close and clears L1 once subscribed again.
    if (/Command queue state error/.test(err.message)) redis.disconnect(true);
  });
  return {
    redis,
    subscribe: () =>
      redis.ssubscribe(BUS_CHANNEL).catch((err: Error) => {
        // MOVED: the node this connection found no longer serves the slot. Ask again.
        redis.disconnect(true);
        throw err;
      }),
    onMessage: (listener) => redis.on('smessage', (channel: string, text: string) => channel === BUS_CHANNEL && listener(text)),
  };
}
