/**
 * Counts the SQL statements of one GraphQL request, wherever in the request they are issued
 * (loaders, services, commands): the pool's query is wrapped once, and the count goes to the
 * request whose async context the statement runs in.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Db } from './pool.js';

export interface RequestScope {
  sqlStatements: number;
}

const current = new AsyncLocalStorage<RequestScope>();

/** Runs `work` with `scope` counting its statements. */
export function inRequestScope<T>(scope: RequestScope, work: () => Promise<T>): Promise<T> {
  return current.run(scope, work);
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
