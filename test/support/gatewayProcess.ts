/**
 * A gateway in a process of its own, for tests that need real separate instances: started by
 * test/helpers/gatewayProcess.ts with its settings in the environment (DATABASE_URL,
 * REDIS_URL, …). Prints "listening <port>"; on SIGTERM drains and exits 0.
 */
import { loadConfig } from '../../src/config.js';
import { createPool } from '../../src/db/pool.js';
import { startGateway } from '../../src/gateway.js';
import { setLogLevel } from '../../src/log.js';

const config = loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1' });
setLogLevel(config.log.level);
const db = createPool(config.database.url!, config.database);
const gateway = await startGateway(config, db);
process.stdout.write(`listening ${gateway.port}\n`);
process.on('SIGTERM', async () => {
  await gateway.stop();
  await db.end();
  process.exit(0);
});
