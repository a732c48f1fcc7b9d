/**
 * A lean closed-loop load generator: HTTP/1.1 keep-alive connections written and read as bytes
 * (node:http's client, and fetch more so, cost the generator several times more CPU per
 * request, and the generator shares the machine with the servers). Each connection sends an
 * operation, waits for its answer, sends the next.
 *
 * `variant`: POST with the text, or GET with only the persisted-query hash (a server that does
 * not know the hash yet says so, and the operation is registered by POST first, as Apollo
 * Client does). After each write that says what it changed (UpdateCandidate), the candidate is
 * read back on this server and on `other` (another instance of it), and an answer that does
 * not show the write counts as a stale read. No two connections write the same candidate at
 * once (the second reads it instead), so what a read-back must show is exactly that write.
 */
import { createConnection, type Socket } from 'node:net';
import type { Operation } from './standardWorkload.js';
import { candidateRead } from './standardWorkload.js';

export type Variant = 'POST' | 'GET';

export interface LoadOptions {
  url: string;
  /** Another instance of the same server, for stale reads across instances. */
  other?: string;
  connections: number;
  durationMs: number;
  variant: Variant;
  /** The next operation; undefined ends the run before `durationMs`. */
  next: () => Operation | undefined;
}

export interface LoadFigures {
  requests: number;
  seconds: number;
  latenciesMs: Float64Array;
  errors: number;
  staleSame: number;
  staleOther: number;
  /** Writes checked for stale reads. */
  probes: number;
}

interface Answer {
  status: number;
  body: string;
}

export async function runLoad(options: LoadOptions): Promise<LoadFigures> {
  const latencies: number[] = [];
  let errors = 0;
  let staleSame = 0;
  let staleOther = 0;
  let probes = 0;
  /** Candidates being written and read back: a concurrent write would change what the read-back must show. */
  const writing = new Set<string>();
  const connections: HttpConnection[] = [];
  const began = performance.now();
  const deadline = began + options.durationMs;
  await Promise.all(
    Array.from({ length: options.connections }, async () => {
      // Each closed loop keeps one connection to each server it talks to.
      const here = new HttpConnection(options.url);
      const there = options.other ? new HttpConnection(options.other) : undefined;
      connections.push(here, ...(there ? [there] : []));
      while (performance.now() < deadline) {
        let op = options.next();
        if (!op) break;
        if (op.wrote && writing.has(op.wrote.candidateId)) op = candidateRead(op.wrote.candidateId);
        if (op.wrote) writing.add(op.wrote.candidateId);
        const started = performance.now();
        const answer = await sendOperation(here, op, op.mutation ? 'POST' : options.variant).catch(() => ({ status: 0, body: '' }));
        latencies.push(performance.now() - started);
        if (answer.status !== 200 || answer.body.includes('"errors"')) errors++;
        if (op.wrote && answer.status === 200) {
          probes++;
          const read = candidateRead(op.wrote.candidateId);
          const expected = JSON.stringify(op.wrote.title);
          if (!(await sendOperation(here, read, options.variant)).body.includes(expected)) staleSame++;
          if (there && !(await sendOperation(there, read, options.variant)).body.includes(expected)) staleOther++;
        }
        if (op.wrote) writing.delete(op.wrote.candidateId);
      }
    }),
  );
  for (const connection of connections) connection.close();
  return { requests: latencies.length, seconds: (performance.now() - began) / 1000, latenciesMs: Float64Array.from(latencies).sort(), errors, staleSame, staleOther, probes };
}

async function sendOperation(connection: HttpConnection, op: Operation, variant: Variant): Promise<Answer> {
  if (variant === 'POST') return connection.post({ query: op.query, operationName: op.name, variables: op.variables });
  const extensions = { persistedQuery: { version: 1, sha256Hash: op.hash } };
  const search = new URLSearchParams({ operationName: op.name, variables: JSON.stringify(op.variables), extensions: JSON.stringify(extensions) });
  const answer = await connection.get(`?${search}`);
  if (!answer.body.includes('PersistedQueryNotFound') && !answer.body.includes('PERSISTED_QUERY_NOT_FOUND')) return answer;
  return connection.post({ query: op.query, operationName: op.name, variables: op.variables, extensions });
}

/**
 * One keep-alive HTTP/1.1 connection with one request in flight, written as bytes on a socket
 * and read back by content-length or chunks: node:http's client costs several times more CPU
 * per request, which the generator would take from the servers it measures. Reconnects when
 * the server closed the connection; a request whose connection fails is rejected (an error).
 */
class HttpConnection {
  private socket: Socket | undefined;
  private readonly host: string;
  private readonly port: number;
  private readonly path: string;
  private pending: { resolve: (answer: Answer) => void; reject: (err: Error) => void } | undefined;
  private received: Buffer = Buffer.alloc(0);

  constructor(url: string) {
    const parsed = new URL(url);
    this.host = parsed.hostname;
    this.port = Number(parsed.port);
    this.path = parsed.pathname;
  }

  post(body: unknown): Promise<Answer> {
    const text = JSON.stringify(body);
    return this.send(`POST ${this.path} HTTP/1.1\r\n${this.headers()}content-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
  }

  get(search: string): Promise<Answer> {
    return this.send(`GET ${this.path}${search} HTTP/1.1\r\n${this.headers()}\r\n`);
  }

  close(): void {
    this.socket?.destroy();
  }

  private headers(): string {
    return `host: ${this.host}:${this.port}\r\ncontent-type: application/json\r\napollo-require-preflight: true\r\n`;
  }

  private send(request: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.received = Buffer.alloc(0);
      if (!this.socket || this.socket.destroyed) this.connect();
      this.socket!.write(request);
    });
  }

  private connect(): void {
    const socket = createConnection({ host: this.host, port: this.port, noDelay: true });
    socket.on('data', (chunk: Buffer) => {
      this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
      const answer = parseResponse(this.received);
      if (!answer || !this.pending) return;
      const { resolve } = this.pending;
      this.pending = undefined;
      this.received = Buffer.alloc(0);
      if (answer.close) socket.destroy();
      resolve(answer);
    });
    const fail = (err?: Error) => {
      if (this.socket === socket) this.socket = undefined;
      const pending = this.pending;
      this.pending = undefined;
      pending?.reject(err ?? new Error('connection closed'));
    };
    socket.on('error', fail);
    socket.on('close', () => fail());
    this.socket = socket;
  }
}

/** A whole response in `bytes`, or undefined while more is to come. */
function parseResponse(bytes: Buffer): (Answer & { close: boolean }) | undefined {
  const headEnd = bytes.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const head = bytes.toString('latin1', 0, headEnd).toLowerCase();
  const status = Number(head.slice(9, 12));
  const close = /\r\nconnection: *close/.test(head);
  const length = /\r\ncontent-length: *(\d+)/.exec(head);
  const bodyStart = headEnd + 4;
  if (length) {
    const end = bodyStart + Number(length[1]);
    return bytes.length < end ? undefined : { status, close, body: bytes.toString('utf8', bodyStart, end) };
  }
  if (!/\r\ntransfer-encoding: *chunked/.test(head)) return status === 304 || status === 204 ? { status, close, body: '' } : undefined;
  const chunks: Buffer[] = [];
  let at = bodyStart;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = parseInt(bytes.toString('latin1', at, lineEnd), 16);
    if (size === 0) return bytes.length < lineEnd + 4 ? undefined : { status, close, body: Buffer.concat(chunks).toString('utf8') };
    if (bytes.length < lineEnd + 2 + size + 2) return undefined;
    chunks.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}
