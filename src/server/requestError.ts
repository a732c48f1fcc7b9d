/**
 * A request refused before Apollo's pipeline runs (bad HTTP, CSRF, persisted queries, query
 * limits): answered GraphQL-shaped, `{ errors: [{ message, extensions: { code } }] }`, with
 * its HTTP status, so clients branch on the code as they do for every other error.
 */
import type { ServerResponse } from 'node:http';

export class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** More for `extensions` (a limit's value and what the request asked for). */
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'RequestError';
  }

  send(res: ServerResponse): void {
    // An answer about this one request: never stored by a browser or a CDN.
    res.writeHead(this.status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...this.headers });
    res.end(JSON.stringify({ errors: [{ message: this.message, extensions: { code: this.code, ...this.details } }] }));
  }
}
