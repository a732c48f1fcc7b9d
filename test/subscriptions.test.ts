/** Operations over graphql-ws identify their caller from connectionParams, as HTTP does from its header (test/faults/subscriptionAbuse.test.ts: every misuse). */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from './helpers/gateway.js';
import { signToken } from '../src/auth/jwt.js';

let gw: TestGateway;
before(async () => {
  gw = await startTestGateway();
});
after(() => gw.stop());

/** Runs `query` once over a WebSocket opened with `connectionParams`; resolves with its result. */
async function overWebSocket(query: string, connectionParams: Record<string, unknown>) {
  const client = createClient({ url: gw.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams, retryAttempts: 0 });
  try {
    return await new Promise<{ data?: any; errors?: Array<{ extensions?: { code?: string } }> }>((resolve, reject) => {
      let result: any;
      client.subscribe({ query }, { next: (r) => (result = r), error: reject, complete: () => resolve(result) });
    });
  } finally {
    await client.dispose();
  }
}

test('a bearer token in connectionParams identifies the caller; none is UNAUTHENTICATED for `me`; a bad one closes the socket 4403', async () => {
  const token = await signToken(12, TEST_JWT_SECRET);
  assert.deepEqual((await overWebSocket('{ me { id } }', { Authorization: `Bearer ${token}` })).data, { me: { id: '12' } });
  const anonymous = await overWebSocket('{ me { id } }', {});
  assert.equal(anonymous.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
  for (const params of [{ Authorization: 'Bearer not-a-token' }, { Authorization: `Bearer ${await signToken(12, 'another-secret')}` }]) {
    await assert.rejects(overWebSocket('{ me { id } }', params), (closed: { code?: number }) => closed.code === 4403, JSON.stringify(params));
  }
});
