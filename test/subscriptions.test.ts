/** Operations over graphql-ws identify their caller from connectionParams, as HTTP does from its header. */
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

test('a bearer token in connectionParams identifies the caller; none, or a bad one, is UNAUTHENTICATED', async () => {
  const token = await signToken(12, TEST_JWT_SECRET);
  assert.deepEqual((await overWebSocket('{ me { id } }', { Authorization: `Bearer ${token}` })).data, { me: { id: '12' } });
  for (const params of [{}, { Authorization: 'Bearer not-a-token' }, { Authorization: `Bearer ${await signToken(12, 'another-secret')}` }]) {
    const result = await overWebSocket('{ me { id } }', params);
    assert.equal(result.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', JSON.stringify(params));
  }
});
