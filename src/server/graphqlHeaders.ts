/**
 * The headers every /graphql answer carries whatever it is: the request's id (quoted in logs
 * and errors) and who may read the answer (CORS). Kept as a flat list, so that an answer sent
 * from the response tier can send them with its own in one writeHead (responseTier.ts
 * serveSeen): node:http costs less per header that way than through setHeader.
 */
import type { ServerResponse } from 'node:http';
import { PREFLIGHT_HEADERS } from './csrf.js';

/** Name, value, name, value…: as writeHead takes them. */
export type HeaderList = string[];

export function graphqlHeaders(requestId: string): HeaderList {
  return ['x-request-id', requestId, 'access-control-allow-origin', '*', 'access-control-expose-headers', 'etag, x-request-id'];
}

/** Sets `headers` one by one, for an answer whose other headers come later. */
export function setHeaders(res: ServerResponse, headers: HeaderList): void {
  for (let i = 0; i < headers.length; i += 2) res.setHeader(headers[i], headers[i + 1]);
}

const ALLOW_HEADERS = ['content-type', 'authorization', 'x-cache-debug', ...PREFLIGHT_HEADERS].join(', ');

/** A CORS preflight: browsers read the allowed methods and headers from it only. */
export function answerPreflight(res: ServerResponse, requestId: string): void {
  setHeaders(res, graphqlHeaders(requestId));
  res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
  res.setHeader('access-control-allow-headers', ALLOW_HEADERS);
  res.writeHead(204).end();
}
