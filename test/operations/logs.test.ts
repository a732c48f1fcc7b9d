/**
 * Structured logs (pino): a gateway process at LOG_LEVEL=debug prints one JSON object per line;
 * each request gets a line with its request id (the response's x-request-id), each operation a
 * line with its name and what it cost in the cache; neither carries the caller's token, the
 * variables, or the JWT secret.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gatewayProcess.js';
import { TEST_JWT_SECRET } from '../helpers/gateway.js';
import { createTestDatabase, type TestDatabase } from '../helpers/testDb.js';
import { signToken } from '../../src/auth/jwt.js';
import { until } from '../helpers/until.js';

const output: string[] = [];
let database: TestDatabase;
let gw: GatewayProcess;
before(async () => {
  database = await createTestDatabase({ scale: 0.01 });
  gw = await startGatewayProcess({ databaseUrl: database.url, env: { LOG_LEVEL: 'debug' }, output });
});
after(async () => {
  await gw?.stop();
  await database?.drop();
});

/** Every JSON line printed so far. */
const entries = () =>
  output
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, any>);

test('a request and its operation each log a JSON line with the request id; the operation line has its name and cache figures; no token, variables or secret', async () => {
  const token = await signToken(3, TEST_JWT_SECRET);
  const res = await fetch(gw.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: 'query LoggedMovie($id: ID!) { movie(id: $id) { title } me { name } }', variables: { id: '7' } }),
  });
  assert.equal(res.status, 200);
  const requestId = res.headers.get('x-request-id')!;
  await until(() => entries().some((e) => e.msg === 'request' && e.requestId === requestId), 'the request line');
  const lines = entries();
  for (const entry of lines) {
    assert.equal(typeof entry.time, 'string');
    assert.ok(['debug', 'info', 'warn', 'error'].includes(entry.level), JSON.stringify(entry));
    assert.equal(typeof entry.ns, 'string');
  }
  const request = lines.find((e) => e.msg === 'request' && e.requestId === requestId)!;
  assert.deepEqual({ method: request.method, path: request.path, status: request.status }, { method: 'POST', path: '/graphql', status: 200 });
  const operation = lines.find((e) => e.msg === 'operation' && e.requestId === requestId)!;
  assert.equal(operation.operation, 'LoggedMovie');
  assert.equal(operation.errors, 0);
  assert.deepEqual(Object.keys(operation.cache).sort(), ['l1Hits', 'l2Hits', 'misses', 'redisRoundTrips', 'sqlStatements', 'stale']);
  assert.ok(operation.cache.misses >= 1 && operation.cache.sqlStatements >= 1, JSON.stringify(operation.cache));
  const text = output.join('');
  assert.ok(!text.includes(token), 'the token is not logged');
  assert.ok(!text.includes(TEST_JWT_SECRET), 'the secret is not logged');
  assert.ok(!text.includes('"id":"7"'), 'the variables are not logged');
});
