/**
 * Counts the SQL statements of one GraphQL request, wherever in the request they are issued
 * (loaders, services, commands): the pool's query is wrapped once, and the count goes to the
 * request whose async context the statement runs in.
 *
 * Only requests that ask for the count (x-cache-debug) run in a scope. While an
 * AsyncLocalStorage is enabled, Node 20 runs a hook on every promise of the process (a few
 * percent of the CPU under load), so it is enabled for those requests only, and disabled
 * again when none is in flight.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Db } from './pool.js';

export interface RequestScope {
  sqlStatements: number;
}

const current = new AsyncLocalStorage<RequestScope>();

let scopesInFlight = 0;

/** Runs `work` with `scope` counting its statements. */
export async function inRequestScope<T>(scope: RequestScope, work: () => Promise<T>): Promise<T> {
  scopesInFlight++;
  try {
    return await current.run(scope, work);
  } finally {
    if (--scopesInFlight === 0) current.disable();
  }
}

/** Makes `db` count each statement into the current request scope (if any) and into `onStatement`. */
export function countStatements(db: Db, onStatement: () => void = () => undefined): void {
  const query = db.query.bind(db) as (...args: unknown[]) => unknown;
  (db as { query: unknown }).query = (...args: unknown[]) => {
    const scope = current.getStore();
    if (scope) scope.sqlStatements++;
    onStatement();
    return query(...args);
  };
}
