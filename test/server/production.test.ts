/**
 * NODE_ENV=production: introspection off unless INTROSPECTION=true, and an internal error's
 * message (SQL, table names) masked; the response and the log line share its request id.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, codesOf, dataOf, type TestGateway } from '../helpers/gateway.js';

const INTROSPECT = '{ __schema { queryType { name } } }';

let prod: TestGateway;
let introspectable: TestGateway;
before(async () => {
  prod = await startTestGateway({ env: { NODE_ENV: 'production' } });
  introspectable = await startTestGateway({ database: prod.database, env: { NODE_ENV: 'production', INTROSPECTION: 'true' } });
});
after(async () => {
  await introspectable?.stop();
  await prod?.stop();
});

describe('introspection', () => {
  test('is refused in production, with the setting that allows it', async () => {
    const res = await prod.post(INTROSPECT);
    assert.equal(res.status, 400);
    assert.deepEqual(codesOf(res), ['INTROSPECTION_DISABLED']);
    assert.match(res.body.errors![0].message, /INTROSPECTION=true/);
    assert.deepEqual(codesOf(await prod.post('{ __type(name: "Movie") { name } }')), ['INTROSPECTION_DISABLED']);
    assert.equal(dataOf(await prod.post('{ movie(id: "1") { __typename } }')).movie.__typename, 'Movie', '__typename is not introspection');
  });
  test('runs in production with INTROSPECTION=true', async () => {
    assert.deepEqual(dataOf(await introspectable.post(INTROSPECT)), { __schema: { queryType: { name: 'Query' } } });
  });
});

describe('internal errors', () => {
  test('are masked in production, and carry the request id that their log line carries', async () => {
    await prod.database.db.query('ALTER TABLE movies RENAME TO movies_away');
    const logged: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      logged.push(String(chunk));
      return (write as (...args: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
    }) as typeof process.stdout.write;
    try {
      const res = await prod.post('{ movie(id: "77") { title } }', {}, { headers: { 'x-request-id': 'req-masking-test-1' } });
      assert.equal(res.headers.get('x-request-id'), 'req-masking-test-1');
      assert.deepEqual(codesOf(res), ['INTERNAL_SERVER_ERROR']);
      const [error] = res.body.errors!;
      assert.equal(error.extensions!.requestId, 'req-masking-test-1');
      assert.match(error.message, /quote request id req-masking-test-1/);
      const text = JSON.stringify(res.body);
      assert.doesNotMatch(text, /movies|relation|SELECT|stacktrace/i, 'no SQL, no table, no stack');
      assert.ok(logged.some((line) => line.includes('req-masking-test-1') && line.includes('movies')), 'the log line has the id and the cause');
    } finally {
      process.stdout.write = write;
      await prod.database.db.query('ALTER TABLE movies_away RENAME TO movies');
    }
  });
});
