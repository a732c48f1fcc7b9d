/**
 * Who is calling: `Authorization: Bearer <JWT>`, HS256, signed with JWT_SECRET, `sub` = user id.
 * A missing or bad token is not an error by itself; only fields that need a caller (`me`)
 * refuse, with the reason recorded here.
 */
import { jwtVerify, SignJWT } from 'jose';

/** `expiresAt`: the token's `exp`, in ms since the epoch (a WebSocket is closed then). */
export type Caller = { kind: 'user'; userId: number; expiresAt?: number } | { kind: 'anonymous'; reason: string };

/** Reads the caller from an Authorization header value. */
export async function identifyCaller(authorization: string | undefined, secret: string): Promise<Caller> {
  if (!authorization) return { kind: 'anonymous', reason: 'no Authorization header' };
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  if (!match) return { kind: 'anonymous', reason: 'the Authorization header is not "Bearer <token>"' };
  try {
    const { payload } = await jwtVerify(match[1], new TextEncoder().encode(secret), { algorithms: ['HS256'] });
    const userId = Number(payload.sub);
    if (!payload.sub || !Number.isSafeInteger(userId) || userId < 1) {
      return { kind: 'anonymous', reason: 'the token\'s "sub" claim is not a user id' };
    }
    return payload.exp === undefined ? { kind: 'user', userId } : { kind: 'user', userId, expiresAt: payload.exp * 1000 };
  } catch (err) {
    return { kind: 'anonymous', reason: `the bearer token was rejected (${(err as Error).message})` };
  }
}

/** Signs a token for `userId` (tests and local tooling); expires in `expiresIn` (default 1 h). */
export function signToken(userId: number, secret: string, expiresIn = '1h'): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(String(userId))
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}
