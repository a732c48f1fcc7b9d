/** The database the configuration names: DATABASE_URL's server, or the embedded one. */
import type { Config } from '../config.js';
import { startEmbeddedPostgres } from './embedded.js';
import { createPool, describeDatabaseUrl, type Db } from './pool.js';

export interface OpenDatabase {
  db: Db;
  /** What the gateway connected to, for the start-up line. */
  description: string;
  close(): Promise<void>;
}

/** Connects (starting the embedded server first when DATABASE_URL is unset). */
export async function openDatabase(config: Config): Promise<OpenDatabase> {
  if (config.database.url) {
    const db = createPool(config.database.url, config.database);
    await db.query('SELECT 1');
    return { db, description: `Postgres at ${describeDatabaseUrl(config.database.url)}`, close: () => db.end() };
  }
  const embedded = await startEmbeddedPostgres(config.database.embedded);
  const db = createPool(embedded.url, config.database);
  return {
    db,
    description: `embedded Postgres at 127.0.0.1:${config.database.embedded.port} (data in ${config.database.embedded.dataDir})`,
    close: async () => {
      await db.end();
      await embedded.stop();
    },
  };
}
