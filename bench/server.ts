/**
 * One server under benchmark, as a child process: the gateway in a CACHE mode
 * (BENCH_MODE=off|l1|l1+l2), or the execution ceiling (BENCH_MODE=ceiling): the same
 * gateway — HTTP layer, plugins, metrics — whose resolvers for the benchmark's queries answer
 * from rows read into memory at start, so the ratio to it is the cost of fetching data,
 * cached or not. Prints "listening <port>".
 */
import { loadConfig } from '../src/config.js';
import { createPool } from '../src/db/pool.js';
import { startGateway } from '../src/gateway.js';
import { setLogLevel } from '../src/log.js';
import { constantResolvers, rowsInMemory } from './peers/constantResolvers.js';

setLogLevel('error');
const mode = process.env.BENCH_MODE ?? 'l1';

const config = loadConfig({
  NODE_ENV: 'production',
  JWT_SECRET: 'bench-secret',
  PORT: '0',
  HOST: '127.0.0.1',
  DATABASE_URL: process.env.DATABASE_URL,
  CACHE: mode === 'ceiling' ? 'off' : mode,
  ...(mode === 'l1+l2' ? { REDIS_URL: process.env.REDIS_URL } : {}),
  LOG_LEVEL: 'error',
});
const db = createPool(config.database.url!, config.database);
const gateway = await startGateway(config, db, mode === 'ceiling' ? { resolvers: constantResolvers(await rowsInMemory(db)) } : {});
console.log(`listening ${gateway.port}`);
// Under --cpu-prof, the profile is written at exit: leave on SIGINT as on SIGTERM.
process.on('SIGINT', () => process.exit(0));
