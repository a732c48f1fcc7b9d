/**
 * Faults (issue 7, test 10): Postgres stopped under a warm cache. The test runs a Postgres of
 * its own (the embedded server, in a temporary folder), stops it as `pg_ctl stop -m immediate`
 * does (SIGQUIT to its postmaster: every backend gone at once, no checkpoint), then starts it
 * again on the same data. Counted while it is down: fresh cached answers served as usual,
 * entries past their TTL served within grace with `extensions.stale`, everything else a coded
 * SERVICE_UNAVAILABLE (errors without a code: 0), the gateway still up; after the restart,
 * uncached reads answer and stale entries are refreshed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestGateway, codesOf, type TestGateway } from '../helpers/gateway.js';
import { startTestRedis, type TestRedis } from '../helpers/testRedis.js';
import { freePort } from '../helpers/ports.js';
import { until } from '../helpers/until.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded.js';
import { createPool, type Db } from '../../src/db/pool.js';
import { migrate } from '../../src/db/migrate.js';
import { seedDatabase } from '../../src/db/seed/seedDatabase.js';
import { loadConfig } from '../../src/config.js';
import { setLogLevel } from '../../src/log.js';

let dir: string;
let embedded: { dataDir: string; port: number };
let postgres: EmbeddedDatabase | undefined;
let db: Db;
let redis: TestRedis;
let gw: TestGateway;
before(async () => {
  setLogLevel('warn');
  dir = mkdtempSync(path.join(tmpdir(), 'strata-pg-stopped-'));
  chmodSync(dir, 0o755);
  embedded = { dataDir: path.join(dir, 'pgdata'), port: await freePort() };
  postgres = await startEmbeddedPostgres(embedded);
  db = createPool(postgres.url, loadConfig({ NODE_ENV: 'test' }).database);
  await migrate(db);
  await seedDatabase(db, { scale: 0.05, quiet: true });
  redis = await startTestRedis();
  gw = await startTestGateway({
    database: { name: 'strata', url: postgres.url, db, drop: async () => undefined },
    redisUrl: redis.url,
    // Fail fast while Postgres is away. The entry tiers are under test, so whole answers are
    // not kept (the response tier's answers are fresh, and would simply be served).
    env: { PG_CONNECT_TIMEOUT_MS: '500', PG_QUERY_TIMEOUT_MS: '2000', CACHE_RESPONSE_MB: '0' },
  });
});
after(async () => {
  await gw?.stop();
  await db?.end();
  await redis?.stop();
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const cache = () => gw.gateway.services.cache;
const movie = (id: number) => gw.post(`{ movie(id: "${id}") { id title } }`);

/** `pg_ctl stop -m immediate`: SIGQUIT to the postmaster the test started, then its port closed. */
async function stopImmediately(): Promise<void> {
  const pid = Number(readFileSync(path.join(embedded.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  process.kill(pid, 'SIGQUIT');
  await until(() => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  }, 'the postmaster exits', 10_000);
}

test('Postgres stopped (immediate) with a warm cache: cached answers served, graced ones flagged stale, the rest coded; all recover after the restart', { timeout: 120_000 }, async () => {
  const warm = Array.from({ length: 20 }, (_, i) => i + 1);
  const titles = new Map<number, string>();
  for (const id of warm) titles.set(id, (await movie(id)).body.data.movie.title);
  await new Promise((resolve) => setTimeout(resolve, 50)); // write-backs to L2 land
  // Five of them past their TTL (within grace): their stored freshUntil moved into the past.
  const graced = warm.slice(0, 5);
  for (const id of graced) {
    const key = cache().keys.movieMetadata(id);
    const entry = JSON.parse((await redis.client.get(key))!);
    entry.freshUntil = Date.now() - 1000;
    await redis.client.set(key, JSON.stringify(entry), 'KEEPTTL');
  }
  cache().l1!.clear();

  await stopImmediately();
  postgres = undefined;
  const counts = { fresh: 0, stale: 0, unavailable: 0, uncoded: 0, wrong: 0 };
  const tally = (response: Awaited<ReturnType<typeof movie>>, id: number, expect: 'fresh' | 'stale' | 'unavailable') => {
    const codes = codesOf(response);
    counts.uncoded += (response.body.errors ?? []).length - codes.length;
    if (expect === 'unavailable') {
      if (codes.length === 1 && codes[0] === 'SERVICE_UNAVAILABLE') counts.unavailable++;
      return;
    }
    if (response.body.data?.movie?.title !== titles.get(id)) return void counts.wrong++;
    if (response.body.extensions?.stale === true) counts.stale++;
    else counts.fresh++;
  };
  for (let round = 0; round < 3; round++) {
    for (const id of warm) tally(await movie(id), id, graced.includes(id) ? 'stale' : 'fresh');
    for (let id = 100 + round * 10; id < 110 + round * 10; id++) tally(await movie(id), id, 'unavailable');
    const write = await gw.post('mutation { updateCandidate(id: "3", input: { title: "Written while Postgres is down" }) { id } }');
    tally(write, 0, 'unavailable');
  }
  console.log(`  Postgres down: ${JSON.stringify(counts)}`);
  assert.deepEqual(counts, { fresh: 45, stale: 15, unavailable: 33, uncoded: 0, wrong: 0 });
  assert.equal((await fetch(gw.url.replace(/\/graphql$/, '/health'))).status, 200, 'the gateway is up');
  assert.equal((await fetch(gw.url.replace(/\/graphql$/, '/ready'))).status, 503, 'and says it is not ready');

  postgres = await startEmbeddedPostgres(embedded);
  await until(async () => !(await movie(150)).body.errors, 'uncached reads answer again', 20_000);
  // A stale entry is refreshed in the background on its next read, then served fresh.
  await until(async () => (await movie(1)).body.extensions?.stale !== true, 'the graced entries are refreshed', 10_000);
  assert.equal((await fetch(gw.url.replace(/\/graphql$/, '/ready'))).status, 200);
  const written = await gw.post('mutation { updateCandidate(id: "3", input: { title: "Written after the restart" }) { id } }');
  assert.deepEqual(codesOf(written), []);
});
