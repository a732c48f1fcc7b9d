/**
 * The bus watcher's thread (busWatcher.ts): subscribes to the bus on a Redis connection of its
 * own and, for each message from another instance, marks its tags in the shared TagMarks at
 * once, then passes the message to the main thread with the time it was marked.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { TagMarks } from '../cache/tagMarks.js';
import { parseBusMessage, preciseNow } from './busMessage.js';
import { connectSubscriber } from './busConnection.js';
import type { WatcherData, WatcherReport } from './busWatcher.js';

const { target, self, marks: buffer } = workerData as WatcherData;
const marks = new TagMarks(buffer);
const bus = connectSubscriber(target, `strata-bus-watcher-${process.pid}`);
const subscriber = bus.redis;
// Connection errors are the main thread's to report (its own subscription meets the same).
subscriber.on('error', () => undefined);
subscriber.on('ready', () => {
  bus.subscribe().then(
    () => parentPort!.postMessage('subscribed' satisfies WatcherReport),
    () => undefined, // retried on reconnect
  );
});
bus.onMessage((text) => {
  const message = parseBusMessage(text);
  // Heartbeats change nothing; the main thread's subscription checks them (bus.ts).
  if (!message || message.from === self || message.heartbeat) return;
  marks.mark(message.tags);
  parentPort!.postMessage({ text, markedAt: preciseNow() } satisfies WatcherReport);
});
parentPort!.on('message', (command) => {
  if (command === 'close') subscriber.disconnect();
});
