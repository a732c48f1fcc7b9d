/**
 * A database of its own for each test file: created on the Postgres server of
 * TEST_PG_ADMIN_URL (default: the local server, user postgres), migrated, seeded at a small
 * scale, and dropped at the end. Never touches a database it did not create.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { createPool, type Db } from '../../src/db/pool.js';
import { migrate } from '../../src/db/migrate.js';
import { seedDatabase } from '../../src/db/seed/seedDatabase.js';
import { setLogLevel } from '../../src/log.js';

export const adminUrl = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  name: string;
  url: string;
  db: Db;
  drop(): Promise<void>;
}

/** A new empty database (migrated unless `migrated: false`; seeded when `scale` is given). */
export async function createTestDatabase(options: { scale?: number; migrated?: boolean } = {}): Promise<TestDatabase> {
  setLogLevel('warn');
  const name = `strata_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = createPool(url.toString(), loadConfig({ NODE_ENV: 'test' }).database);
  if (options.migrated !== false) await migrate(db);
  if (options.scale !== undefined) await seedDatabase(db, { scale: options.scale, quiet: true });
  let dropped = false;
  return {
    name,
    url: url.toString(),
    db,
    async drop() {
      if (dropped) return;
      dropped = true;
      await db.end();
      await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
