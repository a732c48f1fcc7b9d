/**
 * Persisted queries: which text a request runs, following Apollo's automatic persisted
 * queries protocol (version 1) and, with PERSISTED_ONLY=true, a trusted-documents allowlist.
 *
 * - `extensions.persistedQuery.sha256Hash` alone: the text registered under it, from the
 *   trusted documents or the store; else PERSISTED_QUERY_NOT_FOUND, on which a client resends
 *   with the text.
 * - The hash with the text: a registration. The hash is checked to be the text's sha256
 *   before anything is stored, so nobody can make a hash that a client trusts run another
 *   query (hash hijacking); and the text is stored only once Apollo has parsed and validated
 *   it to run it (plugins/documentResolved.ts), so the store holds only operations that can
 *   run, and the text is validated once, not once here and again by Apollo.
 * - The text alone: an ordinary request.
 *
 * With PERSISTED_ONLY=true nothing new is registered, and a text runs only if its hash is a
 * trusted document; hashes already in the store (registered before) still run.
 */
import { createHash } from 'node:crypto';
import { RequestError } from '../requestError.js';
import type { GraphQLParams } from '../params.js';
import type { PersistedQueryStore } from './store.js';
import type { TrustedDocuments } from './manifest.js';

export { PersistedQueryStore } from './store.js';
export { TrustedDocuments } from './manifest.js';

/** What a request runs: its text, and whether to register it (under `hash`, its sha256) once it has been checked. */
export interface ResolvedQuery {
  query: string;
  /** Known when the request named it, or had to be checked against the trusted documents. */
  hash?: string;
  /** A registration (hash and text), to store once the text validates. */
  register: boolean;
  /** The request's extensions without `persistedQuery` (handled here, not by Apollo). */
  extensions?: Record<string, unknown>;
}

export class PersistedQueries {
  constructor(
    private readonly store: PersistedQueryStore,
    private readonly trusted: TrustedDocuments,
    private readonly persistedOnly: boolean,
  ) {}

  /** The text `params` ask to run; throws a RequestError when there is none it may run. */
  async resolve(params: GraphQLParams): Promise<ResolvedQuery> {
    const { persistedQuery, ...extensions } = params.extensions ?? {};
    const rest = Object.keys(extensions).length > 0 ? extensions : undefined;
    if (persistedQuery === undefined) {
      if (params.query === undefined || params.query.trim() === '') {
        throw new RequestError(400, 'BAD_REQUEST', 'send a "query", or the sha256Hash of a persisted one in extensions.persistedQuery');
      }
      if (this.persistedOnly && !this.trusted.get(sha256(params.query))) throw onlyPersisted();
      return { query: params.query, register: false, extensions: rest };
    }
    const hash = hashOf(persistedQuery);
    if (params.query === undefined) {
      const query = this.trusted.get(hash) ?? (await this.store.get(hash));
      if (query === undefined) {
        // Apollo's wording and status: clients (Apollo Client's persisted-query link) match
        // on it and resend the text. Not cacheable: the next answer for this URL may differ.
        throw new RequestError(200, 'PERSISTED_QUERY_NOT_FOUND', 'PersistedQueryNotFound', {}, { 'cache-control': 'private, no-cache, must-revalidate' });
      }
      return { query, hash, register: false, extensions: rest };
    }
    if (sha256(params.query) !== hash) {
      throw new RequestError(400, 'PERSISTED_QUERY_HASH_MISMATCH', 'extensions.persistedQuery.sha256Hash is not the sha256 of the query; nothing was stored');
    }
    if (this.trusted.get(hash)) return { query: params.query, hash, register: false, extensions: rest };
    if (this.persistedOnly) throw onlyPersisted();
    return { query: params.query, hash, register: true, extensions: rest };
  }

  /**
   * Stores a registration's text. Called once Apollo has validated it to run it (a text that
   * fails gets its errors from Apollo, and is not stored), and only after the checks of limits
   * have passed, so a query the gateway refuses is never stored; before the answer is sent, so
   * the client's next request by hash finds it.
   */
  async register(resolved: ResolvedQuery): Promise<void> {
    if (resolved.register && resolved.hash) await this.store.set(resolved.hash, resolved.query);
  }
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function hashOf(persistedQuery: unknown): string {
  const pq = persistedQuery as { version?: unknown; sha256Hash?: unknown } | null;
  if (typeof pq !== 'object' || pq === null || pq.version !== 1) {
    throw new RequestError(400, 'PERSISTED_QUERY_NOT_SUPPORTED', 'extensions.persistedQuery must be {"version": 1, "sha256Hash": "<64 hex digits>"}; only version 1 is supported');
  }
  if (typeof pq.sha256Hash !== 'string' || !/^[0-9a-f]{64}$/.test(pq.sha256Hash)) {
    throw new RequestError(400, 'BAD_REQUEST', 'extensions.persistedQuery.sha256Hash must be the sha256 of the query text, in 64 lowercase hex digits');
  }
  return pq.sha256Hash;
}

function onlyPersisted(): RequestError {
  return new RequestError(
    400,
    'PERSISTED_QUERY_REQUIRED',
    'this gateway runs only its clients\' persisted operations (PERSISTED_ONLY=true): send extensions.persistedQuery.sha256Hash of an operation in its manifest',
  );
}
