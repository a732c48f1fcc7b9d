/**
 * Values that are there at once or later. A loader's `fetch` answers from L1 without a promise;
 * code on the request path chains on such values with `mapNow`, so a resolver stays
 * synchronous when its data is, and graphql-js completes its field without a promise.
 */
export type ValueOrPromise<T> = T | Promise<T>;

/** `fn` of a value now, or of a promise's value later. */
export function mapNow<T, R>(value: ValueOrPromise<T>, fn: (value: T) => R): R | Promise<Awaited<R>> {
  return value instanceof Promise ? (value.then(fn) as Promise<Awaited<R>>) : fn(value);
}
