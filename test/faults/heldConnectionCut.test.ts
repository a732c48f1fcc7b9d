/**
 * Faults: a Postgres connection cut while the gateway holds it between statements (a
 * transaction, a view refresh; the soak's "connections cut" fault lands there too). pg.Pool
 * listens for a client's errors only while it is idle, and an `error` event nobody hears
 * crashes the process: the transaction must fail with the error instead, and the pool go on.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config.js';
import { createPool, inTransaction, type Db } from '../../src/db/pool.js';
import { setLogLevel } from '../../src/log.js';
import { createTestDatabase, type TestDatabase } from '../helpers/testDb.js';

let database: TestDatabase;
let db: Db;
before(async () => {
  setLogLevel('warn');
  database = await createTestDatabase({ migrated: false });
  db = createPool(database.url, loadConfig({ NODE_ENV: 'test' }).database);
});
after(async () => {
  await db?.end();
  await database?.drop();
});

test('a connection cut between two statements of a transaction fails the transaction, not the process; the pool replaces it', async () => {
  let cutPid = 0;
  await assert.rejects(
    inTransaction(db, async (client) => {
      cutPid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      // Not events.once, which would listen for the error event itself.
      const ended = new Promise((resolve) => client.once('end', resolve));
      await database.db.query('SELECT pg_terminate_backend($1)', [cutPid]);
      await ended;
      await client.query('SELECT 1');
    }),
    /not queryable|terminat|Connection terminated/i,
  );
  // The broken client left the pool: the next statement gets a new connection.
  const { rows } = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  assert.notEqual(rows[0].pid, cutPid);
});
