import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.js';
import { createPool } from '../src/db/pool.js';
import { migrate } from '../src/db/migrate.js';
import { createTestDatabase, type TestDatabase } from './helpers/testDb.js';

const files = readdirSync(fileURLToPath(new URL('../src/db/migrations/', import.meta.url))).filter((f) => f.endsWith('.sql'));
const databases: TestDatabase[] = [];
after(async () => {
  for (const d of databases) await d.drop();
});

test('two instances migrating one empty database at once apply each migration once', async () => {
  const database = await createTestDatabase({ migrated: false });
  databases.push(database);
  const second = createPool(database.url, loadConfig({ NODE_ENV: 'test' }).database);
  try {
    const [a, b] = await Promise.all([migrate(database.db), migrate(second)]);
    assert.equal(a.length + b.length, files.length, `applied ${a} and ${b}`);
    assert.ok(a.length === 0 || b.length === 0, 'one instance did all the work; the other waited on the lock');
  } finally {
    await second.end();
  }
  const { rows } = await database.db.query('SELECT name FROM schema_migrations ORDER BY name');
  assert.deepEqual(rows.map((r) => r.name), files.sort());
});

test('running the migrations again does nothing', async () => {
  const database = await createTestDatabase();
  databases.push(database);
  assert.deepEqual(await migrate(database.db), []);
});

test('every materialized view can be refreshed concurrently (it has its unique index)', async () => {
  const database = await createTestDatabase({ scale: 0.01 });
  databases.push(database);
  for (const view of ['mv_matching_stats', 'movie_stats', 'top_movies_by_genre']) {
    await database.db.query(`REFRESH MATERIALIZED VIEW CONCURRENTLY ${view}`);
  }
  const { rows } = await database.db.query<{ n: number }>('SELECT count(*)::int AS n FROM mv_matching_stats');
  assert.ok(rows[0].n > 0);
});
