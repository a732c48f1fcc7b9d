/**
 * Records the SQL statements a real pool runs (the pool still runs them): a tap on
 * `pool.query`, for tests that count statements per request.
 */
import type { Db } from '../../src/db/pool.js';

export interface StatementTap {
  statements: string[];
  /** Statements of the form `… FROM <table> … = ANY(…)`: the loaders' batches, per table. */
  batchesByTable(): Record<string, number>;
  reset(): void;
  remove(): void;
}

export function tapStatements(db: Db): StatementTap {
  const statements: string[] = [];
  const original = db.query.bind(db);
  (db as { query: unknown }).query = (...args: unknown[]) => {
    const first = args[0];
    statements.push(typeof first === 'string' ? first : String((first as { text?: string })?.text));
    return (original as (...a: unknown[]) => unknown)(...args);
  };
  return {
    statements,
    batchesByTable() {
      const counts: Record<string, number> = {};
      for (const sql of statements) {
        if (!/= ANY\(/.test(sql)) continue;
        const table = /FROM\s+(\w+)/i.exec(sql)?.[1] ?? 'unknown';
        counts[table] = (counts[table] ?? 0) + 1;
      }
      return counts;
    },
    reset() {
      statements.length = 0;
    },
    remove() {
      (db as { query: unknown }).query = original;
    },
  };
}

export interface HeldAnswer {
  /** Resolves once the statement has run (and read what the database held then). */
  read: Promise<void>;
  /** Lets its answer through. */
  release(): void;
  /** Puts `pool.query` back. */
  remove(): void;
}

/**
 * Holds back the answer of the first statement containing `sqlFragment` until `release()`:
 * the statement runs for real, so its load has read the old row and is still in flight while
 * the test writes.
 */
export function holdFirstAnswer(db: Db, sqlFragment: string): HeldAnswer {
  const pool = db as { query: (...args: unknown[]) => Promise<unknown> };
  const original = pool.query;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let markRead!: () => void;
  const read = new Promise<void>((r) => (markRead = r));
  let held = false;
  pool.query = async (...args: unknown[]) => {
    const result = await original.apply(db, args);
    if (!held && String(args[0]).includes(sqlFragment)) {
      held = true;
      markRead();
      await gate;
    }
    return result;
  };
  return {
    read,
    release,
    remove() {
      release();
      pool.query = original;
    },
  };
}
