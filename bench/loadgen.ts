/**
 * A lean closed-loop load generator on node:http with keep-alive connections (fetch costs the
 * generator several times more CPU per request, and the generator shares the machine with
 * the servers). Each connection sends an operation, waits for its answer, sends the next.
 *
 * `variant`: POST with the text, or GET with only the persisted-query hash (a server that does
 * not know the hash yet says so, and the operation is registered by POST first, as Apollo
 * Client does). After each write that says what it changed (UpdateCandidate), the candidate is
 * read back on this server and on `other` (another instance of it), and an answer that does
 * not show the write counts as a stale read. No two connections write the same candidate at
 * once (the second reads it instead), so what a read-back must show is exactly that write.
 */
import { Agent, request } from 'node:http';
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
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections * 2 });
  const send = (url: string, op: Operation, variant: Variant): Promise<Answer> => sendOperation(agent, url, op, variant);
  const latencies: number[] = [];
  let errors = 0;
  let staleSame = 0;
  let staleOther = 0;
  let probes = 0;
  /** Candidates being written and read back: a concurrent write would change what the read-back must show. */
  const writing = new Set<string>();
  const began = performance.now();
  const deadline = began + options.durationMs;
  await Promise.all(
    Array.from({ length: options.connections }, async () => {
      while (performance.now() < deadline) {
        let op = options.next();
        if (!op) break;
        if (op.wrote && writing.has(op.wrote.candidateId)) op = candidateRead(op.wrote.candidateId);
        if (op.wrote) writing.add(op.wrote.candidateId);
        const started = performance.now();
        const answer = await send(options.url, op, op.mutation ? 'POST' : options.variant).catch(() => ({ status: 0, body: '' }));
        latencies.push(performance.now() - started);
        if (answer.status !== 200 || answer.body.includes('"errors"')) errors++;
        if (op.wrote && answer.status === 200) {
          probes++;
          const read = candidateRead(op.wrote.candidateId);
          const expected = JSON.stringify(op.wrote.title);
          if (!(await send(options.url, read, options.variant)).body.includes(expected)) staleSame++;
          if (options.other && !(await send(options.other, read, options.variant)).body.includes(expected)) staleOther++;
        }
        if (op.wrote) writing.delete(op.wrote.candidateId);
      }
    }),
  );
  agent.destroy();
  return { requests: latencies.length, seconds: (performance.now() - began) / 1000, latenciesMs: Float64Array.from(latencies).sort(), errors, staleSame, staleOther, probes };
}

async function sendOperation(agent: Agent, url: string, op: Operation, variant: Variant): Promise<Answer> {
  if (variant === 'POST') return post(agent, url, { query: op.query, operationName: op.name, variables: op.variables });
  const extensions = { persistedQuery: { version: 1, sha256Hash: op.hash } };
  const search = new URLSearchParams({ operationName: op.name, variables: JSON.stringify(op.variables), extensions: JSON.stringify(extensions) });
  const answer = await get(agent, `${url}?${search}`);
  if (!answer.body.includes('PersistedQueryNotFound') && !answer.body.includes('PERSISTED_QUERY_NOT_FOUND')) return answer;
  return post(agent, url, { query: op.query, operationName: op.name, variables: op.variables, extensions });
}

const HEADERS = { 'content-type': 'application/json', 'apollo-require-preflight': 'true' };

function post(agent: Agent, url: string, body: unknown): Promise<Answer> {
  const text = JSON.stringify(body);
  return exchange(agent, url, 'POST', { ...HEADERS, 'content-length': String(Buffer.byteLength(text)) }, text);
}

function get(agent: Agent, url: string): Promise<Answer> {
  return exchange(agent, url, 'GET', HEADERS);
}

function exchange(agent: Agent, url: string, method: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
