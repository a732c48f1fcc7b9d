/**
 * A wait until the process has polled its sockets again (the bus's caughtUp): the first
 * setImmediate runs in this loop turn's check phase; the second only after the next turn's
 * poll phase, which reads every socket that is ready.
 *
 * Callers that ask before the first setImmediate has run share one wait: each of them still
 * waits through a whole poll phase that began after it asked (the one before the second
 * immediate), and a loop turn of a hundred cached answers costs two immediates, not two hundred.
 */
export function pollWaiter(): () => Promise<void> {
  let waiting: Promise<void> | undefined;
  return () =>
    (waiting ??= new Promise((resolve) =>
      setImmediate(() => {
        waiting = undefined;
        setImmediate(resolve);
      }),
    ));
}
