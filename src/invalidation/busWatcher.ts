/**
 * The bus watcher: a thread that listens to the bus beside the main thread's own subscription,
 * and marks the tags of each message in shared memory (cache/tagMarks.ts) the moment it
 * arrives, so L1 stops trusting them while the message still waits in the main thread's queue.
 * It then hands the message over; the main thread handles whichever copy reaches it first.
 *
 * The main thread's subscription stays the one correctness rests on (a request waits until the
 * main thread has read its sockets, bus.caughtUp); the watcher only makes eviction faster under
 * load. If the thread fails, the gateway goes on without it.
 */
import { Worker } from 'node:worker_threads';
import type { TagMarks } from '../cache/tagMarks.js';
import { logger } from '../log.js';
import type { RedisTarget } from '../redis/connect.js';

const log = logger('invalidation.watcher');

/** What the thread starts with. */
export interface WatcherData {
  target: RedisTarget;
  /** This instance's id on the bus: its own messages change nothing here. */
  self: string;
  marks: SharedArrayBuffer;
}

/** A message the thread marked, passed on to the main thread. */
export interface WatcherNotice {
  text: string;
  /** When the thread marked its tags (epoch ms with a fraction). */
  markedAt: number;
}

/** What the thread tells the main thread: a message it marked, or that it has (re)subscribed. */
export type WatcherReport = WatcherNotice | 'subscribed';

const THREAD_URL = new URL('./busWatcher.entry.mjs', import.meta.url);

export class BusWatcher {
  private readonly worker: Worker;
  private closing = false;
  /** Whether the thread has subscribed once. */
  subscribed = false;

  constructor(target: RedisTarget, self: string, marks: TagMarks, onNotice: (notice: WatcherNotice) => void) {
    const data: WatcherData = { target, self, marks: marks.buffer };
    this.worker = new Worker(THREAD_URL, { workerData: data });
    // The thread never keeps the process alive: the gateway's own handles decide that.
    this.worker.unref();
    this.worker.on('message', (report: WatcherReport) => {
      if (report === 'subscribed') this.subscribed = true;
      else onNotice(report);
    });
    this.worker.on('error', (err) => log.warn('the bus watcher thread failed; invalidations from other instances reach L1 through the main thread only', { err }));
    this.worker.on('exit', (code) => {
      if (this.closing) return;
      marks.release();
      log.warn('the bus watcher thread exited; invalidations from other instances reach L1 through the main thread only', { code });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    this.worker.postMessage('close');
    await this.worker.terminate();
  }
}
