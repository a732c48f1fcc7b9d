/** Small helpers the resolvers share to turn loader results into field values. */
import { NotFoundError } from '../src/errors.js';
import { mapNow, type ValueOrPromise } from '../src/valueOrPromise.js';

/** The loaded rows that exist, in order; a failed load rethrows. */
export function present<T>(results: ReadonlyArray<T | undefined | Error>): T[] {
  return results.filter((r): r is T => {
    if (r instanceof Error) throw r;
    return r !== undefined;
  });
}

/** The row, or NOT_FOUND: for references that must resolve (a job's company, a match's job). */
export function required<T>(row: T | undefined, typename: string, id: number): T {
  if (row === undefined) throw new NotFoundError(typename, id);
  return row;
}

/** The referenced row, at once when cached: `required` over a loader's `fetch`. */
export function requiredNow<T>(row: ValueOrPromise<T | undefined>, typename: string, id: number): ValueOrPromise<T> {
  return mapNow(row, (found) => required(found, typename, id)) as ValueOrPromise<T>;
}
