/**
 * `npm start` with no DATABASE_URL: a real embedded Postgres in a data folder, migrated and
 * seeded on first start, serving /graphql with no outside service; SIGTERM stops it all.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { projectRoot } from '../src/config.js';
import { freePort } from './helpers/ports.js';

let child: ChildProcess | undefined;
let dataRoot: string | undefined;
after(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  if (dataRoot) await rm(dataRoot, { recursive: true, force: true });
});

test('npm start serves the contract from an embedded Postgres, then stops cleanly', { timeout: 180_000 }, async () => {
  dataRoot = await mkdtemp(path.join(tmpdir(), 'strata-start-'));
  // As root, Postgres runs as the `postgres` user, who must reach the data folder.
  await chmod(dataRoot, 0o755);
  const [port, pgPort] = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), EMBEDDED_PG_DIR: path.join(dataRoot, 'pg'), EMBEDDED_PG_PORT: String(pgPort), SEED_SCALE: '0.02', NODE_ENV: 'development' };
  delete env.DATABASE_URL;
  child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));

  const deadline = Date.now() + 150_000;
  while (!output.includes('Strata is serving')) {
    assert.equal(child.exitCode, null, `npm start exited early:\n${output}`);
    assert.ok(Date.now() < deadline, `not serving after 150 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.match(output, new RegExp(`serving http://localhost:${port}/graphql`));
  assert.match(output, /embedded Postgres at 127\.0\.0\.1/);
  assert.match(output, /seeded/);

  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ movie(id: "1") { title } topMatches(candidateId: "1", limit: 3) { score } }' }),
  });
  const body = await res.json();
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  assert.ok(body.data.movie.title.length > 0);
  assert.equal(body.data.topMatches.length, 3);

  const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0, output);
});
