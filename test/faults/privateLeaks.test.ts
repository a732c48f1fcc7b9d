/**
 * Faults (issue 7, test 18): the PRIVATE leak hunt. Two users, an anonymous caller, a token
 * signed with another secret (a forged `sub`), an expired token, an unsigned one, and a spoofed
 * `session-id` header, interleaved and concurrent, 1,000 requests over GET (with ETags) and
 * POST, on a gateway with L1, L2 (the test's own redis-server) and the response tier. Counted:
 * bodies that carry another caller's private data (0), and ETags that validate across callers
 * (0).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../helpers/gateway.js';
import { startTestRedis, type TestRedis } from '../helpers/testRedis.js';
import { signToken } from '../../src/auth/jwt.js';

let redis: TestRedis;
let gw: TestGateway;
before(async () => {
  redis = await startTestRedis();
  gw = await startTestGateway({ redisUrl: redis.url });
});
after(async () => {
  await gw?.stop();
  await redis?.stop();
});

const QUERY = '{ me { id name email } movie(id: "1") { id title } }';

const token = (sub: number, secret: string, exp: number) =>
  new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(String(sub)).setIssuedAt().setExpirationTime(exp).sign(new TextEncoder().encode(secret));
/** An unsigned token (alg "none") claiming user 3. */
const unsigned = () => `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify({ sub: '3', exp: Math.floor(Date.now() / 1000) + 3600 })).toString('base64url')}.`;

interface Caller {
  name: string;
  headers: Record<string, string>;
  /** The user whose private data this caller may see, if any. */
  user?: number;
}

test('1,000 interleaved requests from seven kinds of caller: no body carries another caller’s private data, no ETag validates across callers', { timeout: 120_000 }, async () => {
  const emails = new Map<number, string>();
  for (const row of (await gw.database.db.query<{ id: number; email: string }>('SELECT id, email FROM users WHERE id IN (3, 4)')).rows) emails.set(row.id, row.email);
  const now = Math.floor(Date.now() / 1000);
  const callers: Caller[] = [
    { name: 'user 3', headers: { authorization: `Bearer ${await signToken(3, TEST_JWT_SECRET)}` }, user: 3 },
    { name: 'user 4', headers: { authorization: `Bearer ${await signToken(4, TEST_JWT_SECRET)}` }, user: 4 },
    { name: 'anonymous', headers: {} },
    { name: 'forged sub (another secret)', headers: { authorization: `Bearer ${await token(3, 'not-the-secret', now + 3600)}` } },
    { name: 'expired token', headers: { authorization: `Bearer ${await token(4, TEST_JWT_SECRET, now - 60)}` } },
    { name: 'unsigned token', headers: { authorization: `Bearer ${unsigned()}` } },
    { name: 'spoofed session-id', headers: { 'session-id': '3', 'x-user-id': '3' } },
  ];
  const leaks: string[] = [];
  let served = 0;
  const check = (caller: Caller, text: string) => {
    for (const [user, email] of emails) if (user !== caller.user && text.includes(email)) leaks.push(`${caller.name} saw user ${user}'s email`);
    if (caller.user !== undefined && !text.includes(emails.get(caller.user)!)) leaks.push(`${caller.name} did not get their own answer: ${text.slice(0, 120)}`);
  };
  const url = `${gw.url}?query=${encodeURIComponent(QUERY)}`;
  await Promise.all(
    Array.from({ length: 1000 }, async (_, i) => {
      const caller = callers[(i * 7919) % callers.length];
      const response =
        i % 2
          ? await fetch(url, { headers: { 'apollo-require-preflight': 'true', ...caller.headers } })
          : await fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json', ...caller.headers }, body: JSON.stringify({ query: QUERY }) });
      check(caller, await response.text());
      served++;
    }),
  );
  assert.equal(served, 1000);

  // ETags: each caller's GET ETag, offered by every other caller, must never answer 304.
  const etags = new Map<string, string>();
  for (const caller of callers) {
    const response = await fetch(url, { headers: { 'apollo-require-preflight': 'true', ...caller.headers } });
    check(caller, await response.text());
    const etag = response.headers.get('etag');
    if (etag) etags.set(caller.name, etag);
  }
  let crossValidated = 0;
  for (const [owner, etag] of etags) {
    for (const caller of callers) {
      if (caller.name === owner) continue;
      const response = await fetch(url, { headers: { 'apollo-require-preflight': 'true', 'if-none-match': etag, ...caller.headers } });
      const sameAnswer = emails.get(caller.user ?? -1) === emails.get(callers.find((c) => c.name === owner)!.user ?? -1);
      if (response.status === 304 && !sameAnswer) crossValidated++;
      if (response.status !== 304) check(caller, await response.text());
    }
  }
  console.log(`  1,000 requests from ${callers.length} kinds of caller, ${etags.size} ETags offered across callers: ${leaks.length} leaks, ${crossValidated} cross-caller 304s`);
  assert.deepEqual(leaks, []);
  assert.equal(crossValidated, 0);
});
