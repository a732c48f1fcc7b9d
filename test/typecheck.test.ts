import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { projectRoot } from '../src/config.js';

// tsx runs the tests without checking types: without this, a type error lands whenever its
// code happens to run. The peers (bench/peers/) are left out: their packages are bench's own.
test('the TypeScript of src, resolvers, test, scripts and bench type-checks (npm run typecheck)', () => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const run = spawnSync(process.execPath, [tsc, '--noEmit', '-p', projectRoot], { encoding: 'utf8' });
  assert.equal(run.status, 0, `npm run typecheck reports:\n${run.stdout}${run.stderr}`);
});
