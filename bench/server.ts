/**
 * One server under benchmark, as a child process: the gateway in a CACHE mode
 * (BENCH_MODE=off|l1|l1+l2), or the execution ceiling (BENCH_MODE=ceiling): the same
 * gateway — HTTP layer, plugins, metrics — whose resolvers for the benchmark's queries answer
 * from rows read into memory at start, so the ratio to it is the cost of fetching data,
 * cached or not. Prints "listening <port>".
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';
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
  ...(mode === 'l1+l2' ? (process.env.REDIS_CLUSTER_NODES ? { REDIS_CLUSTER_NODES: process.env.REDIS_CLUSTER_NODES } : { REDIS_URL: process.env.REDIS_URL }) : {}),
  LOG_LEVEL: 'error',
  // Warming runs only where a bench measures it (bench/warming.ts): elsewhere it would load the window.
  CACHE_WARM: process.env.CACHE_WARM ?? 'false',
  // Settings a bench may vary; every other one keeps its default.
  ...Object.fromEntries(['CACHE_RESPONSE_MB', 'PG_CONNECT_TIMEOUT_MS', 'PG_QUERY_TIMEOUT_MS', 'BUS_HEARTBEAT_MS'].filter((name) => process.env[name]).map((name) => [name, process.env[name]])),
});
const db = createPool(config.database.url!, config.database);
const gateway = await startGateway(config, db, mode === 'ceiling' ? { resolvers: constantResolvers(await rowsInMemory(db)) } : {});
console.log(`listening ${gateway.port}`);
// BENCH_PROFILE=<dir>: SIGUSR2 starts a CPU profile (after a warm-up, say) and SIGINT writes
// it there, so the profile holds only the window being studied (open it in Chrome DevTools or
// speedscope). Without it, SIGINT leaves as SIGTERM does (and --cpu-prof writes at exit).
const profileDir = process.env.BENCH_PROFILE;
let profiling: Session | undefined;
if (profileDir) {
  process.on('SIGUSR2', () => {
    profiling = new Session();
    profiling.connect();
    profiling.post('Profiler.enable', () => profiling!.post('Profiler.start'));
  });
}
process.on('SIGINT', () => {
  if (!profiling) process.exit(0);
  profiling.post('Profiler.stop', (err, result) => {
    if (!err) writeFileSync(path.join(profileDir!, `strata-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    process.exit(0);
  });
});
