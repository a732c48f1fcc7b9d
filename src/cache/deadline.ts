/** A bound on how long a call to Redis may take, judged fairly when this process is busy. */

/**
 * How long a write's invalidation may wait on Redis (new versions, the bus message) before it
 * gives up and logs. Longer than a read's deadline: a read that gives up only costs a miss,
 * an invalidation that gives up may leave other instances trusting what changed.
 */
export const INVALIDATION_DEADLINE_MS = 1000;
/**
 * `work`, or a rejection when it has not settled `ms` after it began — decided only after the
 * event loop has read pending I/O: a timer that fires late because this process was busy
 * (an engine computation blocking the loop) looks once more, after the socket's data, before
 * calling Redis slow. A plain timer would count the process's own lag against Redis, and
 * open the breaker exactly when the instance is busiest.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, op: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => setImmediate(() => reject(new Error(`Redis did not answer ${op} within ${ms} ms`))), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
