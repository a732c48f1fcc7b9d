import { test } from 'node:test';
import assert from 'node:assert/strict';
import { staleGeneratedFiles } from '../scripts/codegenCheck.js';

test('src/generated is what `npm run codegen` writes from schema/', async () => {
  assert.deepEqual(await staleGeneratedFiles(), [], 'run `npm run codegen` and commit the result');
});
