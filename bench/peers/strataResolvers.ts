/**
 * What every non-constant peer executes: Strata's own schema and resolvers over the same
 * seeded Postgres, with CACHE=off (the same SQL, the same scoring engine, no tier of
 * Strata's), so that only the server and its response cache differ between peers.
 */
import { loadConfig } from '../../src/config.js';
import { createPool } from '../../src/db/pool.js';
import { assembleInstance } from '../../src/gateway.js';
import { buildSchema } from '../../src/server/schema.js';
import { setLogLevel } from '../../src/log.js';
import type { Context } from '../../src/server/context.js';
import { constantResolvers, rowsInMemory } from './constantResolvers.js';

/** The schema (and a context per request) over DATABASE_URL; `constant`: the ceilings' resolvers instead. */
export async function strataResolvers(options: { constant?: boolean } = {}) {
  setLogLevel('error');
  const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'bench-secret', DATABASE_URL: process.env.DATABASE_URL, CACHE: 'off', LOG_LEVEL: 'error' });
  const db = createPool(config.database.url!, config.database);
  const schema = buildSchema(options.constant ? constantResolvers(await rowsInMemory(db)) : undefined);
  const instance = await assembleInstance(config, db, schema);
  return {
    schema,
    context: (): Promise<Context> => instance.contextFor({ requestId: 'bench', authorization: undefined, scope: { sqlStatements: 0 } }),
  };
}

/** The line the harness waits for. */
export function announce(port: number): void {
  console.log(`listening ${port}`);
  process.on('SIGINT', () => process.exit(0));
}
