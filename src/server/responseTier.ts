/**
 * The response tier on the request path (the tier itself: cache/responses.ts). After CSRF,
 * the parameters, persisted queries, the limits and the bus have had their say, a request
 * whose answer is stored is answered here, from its bytes: no Apollo pipeline, no context, no
 * resolver. Otherwise it runs, and its answer is stored if it may be: a 200 whose policy is
 * PUBLIC, built by a query whose every root field was traced (plugins/responseTrace.ts).
 *
 * The key is what makes the answer: the query (its hash when persisted, else its text), the
 * operation name, the variables (keys sorted, so their order does not matter) and the
 * Accept header (the media type Apollo answers in). Not the caller: a PUBLIC answer is the
 * same for everyone, and PRIVATE answers are never kept here.
 *
 * An answer that shows entities as pieces (entityPieces.ts) is kept whole and also taken
 * apart, as its skeleton and its pieces: when a write makes the whole answer out of date but
 * not its skeleton, it is put together again from the skeleton and the pieces, as soon as the
 * pieces the write changed are current again (rebuilt by whichever answer ran first).
 *
 * A list by ids (listByIds.ts) is kept as pieces only, one per item: its answer is put
 * together from them, and only the ids without a current piece run.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LRUCache } from 'lru-cache';
import type { HTTPGraphQLResponse } from '@apollo/server';
import type { ResponseCache, ResponseTrace, StoredResponse } from '../cache/responses.js';
import type { CacheObserver } from '../cache/index.js';
import type { GraphQLParams } from './params.js';
import type { ResolvedQuery } from './persisted/index.js';
import { etagOf, storedCachingHeaders, writeCachingHeaders } from './httpCaching.js';
import type { HeaderList } from './graphqlHeaders.js';
import type { ListPlan, ListsByIds } from './listByIds.js';
import { pieceKey, skeletonKey, takeApart, type EntityPieces, type PieceSite, type TakenApart } from './entityPieces.js';
import { tags } from '../cache/tags.js';

const PUBLIC = /^public, max-age=(\d+)$/;

/** The answers sent from here: the request log tells them apart (answeredByTier). */
const answered = new WeakSet<ServerResponse>();

/** Whether the tier sent this answer, without running the operation. */
export function answeredByTier(res: ServerResponse): boolean {
  return answered.has(res);
}

/** The longest a request waits for an identical one's run (follow()); a miss takes a few ms. */
const FOLLOW_WAIT_MS = 1000;

/** Runs the request with other variables through Apollo, tracing what its answer was built from. */
export type RunWith = (variables: Record<string, unknown>) => Promise<{ response: HTTPGraphQLResponse; trace: ResponseTrace }>;

/** A GET's query string seen before: where its answer is stored, for requests with this Accept header. */
export interface SeenGet {
  key: string;
  operationName: string | undefined;
  accept: string;
}

export class ResponseTier {
  /**
   * Query strings of GETs answered here (seenGet), bounded in bytes since a URL may be long;
   * keyed by the string alone (a key built per request would cost more than the lookup saves).
   */
  private readonly gets = new LRUCache<string, SeenGet>({ maxSize: 8 * 1024 * 1024, sizeCalculation: (seen, search) => search.length + seen.key.length });
  /**
   * The content type Apollo answered each Accept header with: an answer put together from
   * pieces only (a list's) is sent with it, as Apollo would (the pieces are the same whatever
   * the Accept header).
   */
  private readonly contentTypes = new LRUCache<string, string>({ max: 64 });
  /**
   * The keys being built by a run now (answers', and lists' pieces'), until what it built is
   * kept: an identical request that misses meanwhile (a popular movie's, just after a rating)
   * waits for it instead of running too.
   */
  private readonly running = new Map<string, Promise<void>>();

  /** `knownOperations`: the names that may appear as a metric label (the contract's); others count as "other". */
  constructor(
    private readonly cache: ResponseCache,
    private readonly observer: CacheObserver,
    private readonly knownOperations: ReadonlySet<string>,
    private readonly lists: ListsByIds,
    private readonly pieces: EntityPieces,
  ) {}

  /** How to answer the operation item by item, when it is a list by ids (listByIds.ts). */
  listPlan(query: string, operationName: string | undefined): ListPlan | undefined {
    return this.lists.plan(query, operationName);
  }

  /** Where the answers of the operation show entities as pieces (entityPieces.ts). */
  pieceSites(query: string, operationName: string | undefined): PieceSite[] | undefined {
    return this.pieces.sites(query, operationName);
  }

  /**
   * The key of a request's answer; undefined when it must run whatever is stored (x-cache-debug).
   * `without`: a variable left out (the ids of a list answered item by item).
   */
  keyOf(req: IncomingMessage, params: GraphQLParams, resolved: ResolvedQuery, without?: string): string | undefined {
    if (req.headers['x-cache-debug']) return undefined;
    let given = params.variables;
    if (given && without !== undefined) {
      given = { ...given };
      delete given[without];
    }
    const variables = given === undefined ? '' : canonicalJson(given);
    return `${req.headers.accept ?? ''}\n${params.operationName ?? ''}\n${variables}\n${resolved.hash ?? resolved.query}`;
  }

  /**
   * The key a GET with this query string (and Accept header) was last answered under, here:
   * the same string has the same parameters, resolves to the same text and passes the same
   * limits, so it can be answered without parsing them again. Undefined when not seen.
   */
  seenGet(req: IncomingMessage, search: string): SeenGet | undefined {
    if (req.headers['x-cache-debug'] || search === '') return undefined;
    // Recency is left alone: each answer from the full path sets its string again.
    const seen = this.gets.peek(search);
    return seen?.accept === (req.headers.accept ?? '') ? seen : undefined;
  }

  /**
   * Answers from the stored bytes of `key` if they are current, or from its skeleton and
   * pieces (stored only for operations with piece sites); true when it did. `search`: a GET's query
   * string, remembered with the key when it was answered (seenGet). A miss is not counted:
   * follow() decides it.
   */
  serve(req: IncomingMessage, res: ServerResponse, key: string, operationName: string | undefined, search?: string): boolean {
    const now = Date.now();
    const stored = this.cache.get(key, now) ?? this.putTogether(key, now);
    if (!stored) return false;
    this.observer.lookup('hit', 'response', this.label(operationName), 1);
    if (search) this.gets.set(search, { key, operationName, accept: req.headers.accept ?? '' });
    this.send(req, res, stored, now, []);
    return true;
  }

  /**
   * After serve() missed: if an identical request is running, waits for it and answers with
   * what it kept; true when it did. Otherwise counts the miss and marks the key as running
   * (in the same turn as the decision, so that two requests cannot both decide to run): the
   * caller runs the request and calls the function returned once its answer is kept, or not.
   */
  async follow(req: IncomingMessage, res: ServerResponse, key: string, operationName: string | undefined, search?: string): Promise<true | (() => void)> {
    const running = this.running.get(key);
    if (running) {
      await this.waitFor(running);
      if (this.serve(req, res, key, operationName, search)) return true;
    }
    this.observer.lookup('miss', 'response', this.label(operationName), 1);
    return this.lead(key);
  }

  /** Waits for a run (or runs) of others; one that hangs (Postgres frozen) not past FOLLOW_WAIT_MS. */
  private async waitFor(running: Promise<unknown>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([running, new Promise((resolve) => (timer = setTimeout(resolve, FOLLOW_WAIT_MS)))]);
    clearTimeout(timer);
  }

  /**
   * Marks `key` (an answer's, or a piece's) as being built by a run until `finished()` (after
   * what it built is kept, or not).
   */
  private lead(key: string): () => void {
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    this.running.set(key, done);
    return () => {
      if (this.running.get(key) === done) this.running.delete(key);
      finish();
    };
  }

  /**
   * Answers a GET seen before (seenGet) if its stored answer is current. A miss is not counted
   * here: the request goes on through the whole path, whose lookup counts it.
   */
  serveSeen(req: IncomingMessage, res: ServerResponse, seen: SeenGet, headers: HeaderList): boolean {
    const now = Date.now();
    const stored = this.cache.get(seen.key, now);
    if (!stored) return false;
    this.observer.lookup('hit', 'response', this.label(seen.operationName), 1);
    this.send(req, res, stored, now, headers);
    return true;
  }

  /**
   * The answer of `key` from its skeleton and its pieces, if all are current and no piece is
   * older than the answer's max-age (it is sent with the age of its oldest part). It is kept
   * whole again, recording the versions of every part, so the next request is one lookup.
   */
  private putTogether(key: string, now: number): StoredResponse | undefined {
    const skeleton = this.cache.entry(skeletonKey(key), now);
    if (!skeleton) return undefined;
    const { parts, pieces } = skeleton.value.skeleton!;
    const maxAgeMs = Number(PUBLIC.exec(skeleton.value.headers['cache-control'])![1]) * 1000;
    const versions = { ...skeleton.versions };
    let body = parts[0];
    let storedAt = skeleton.value.storedAt;
    let freshUntil = skeleton.freshUntil;
    for (let i = 0; i < pieces.length; i++) {
      const piece = this.cache.entry(pieces[i], now);
      if (!piece || now - piece.value.storedAt >= maxAgeMs) return undefined;
      body += piece.value.body + parts[i + 1];
      storedAt = Math.min(storedAt, piece.value.storedAt);
      freshUntil = Math.min(freshUntil, piece.value.storedAt + maxAgeMs);
      Object.assign(versions, piece.versions);
    }
    const whole: StoredResponse = { body, headers: skeleton.value.headers, etag: etagOf(body), storedAt };
    this.cache.put(key, whole, versions, freshUntil);
    return whole;
  }

  /**
   * Sends `stored` with its headers and `headers` (the request's, graphqlHeaders.ts, unless
   * set on `res` already: writeHead sends those too) in one writeHead, which costs less per
   * header than setHeader.
   */
  private send(req: IncomingMessage, res: ServerResponse, stored: StoredResponse, now: number, headers: HeaderList): void {
    answered.add(res);
    const caching = storedCachingHeaders(req, stored.body, stored.etag);
    for (const name in stored.headers) headers.push(name, stored.headers[name]);
    headers.push('age', String(Math.floor((now - stored.storedAt) / 1000)), ...caching.headers);
    if (caching.status === 304) return void res.writeHead(304, headers).end();
    // The length too: headers written first, node:http would otherwise send the body chunked.
    headers.push('content-length', String(Buffer.byteLength(stored.body)));
    res.writeHead(200, headers).end(stored.body);
  }

  /**
   * Answers a list by ids (listByIds.ts) from its items' pieces, stored under `key` and the id:
   * the ids without a current piece are run (once each, through `run`) and their items kept as
   * pieces, each recording the versions the run read (less the other items' entity tags when
   * the items select only leaf fields, listByIds.ts). False when it could not answer this way
   * (ids not a list, or the run was not a clean PUBLIC answer): the caller runs the request.
   * When every missing piece is being built by another list's run, that run is waited for.
   */
  async serveList(
    req: IncomingMessage,
    res: ServerResponse,
    key: string,
    plan: ListPlan,
    variables: Record<string, unknown>,
    operationName: string | undefined,
    run: RunWith,
  ): Promise<boolean> {
    const ids = variables[plan.idsVariable];
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === 'string' || typeof id === 'number')) return false;
    let now = Date.now();
    const accept = req.headers.accept ?? '';
    const keyOf = this.listPieceKey(key, plan);
    // Shared pieces were built for answers of any max-age: one older than this list's is not used.
    const youngerThan = plan.pieces ? plan.pieces.maxAge * 1000 : Infinity;
    const pieces = new Map<string, StoredResponse>();
    /** The current pieces of `wanted` into `pieces`; the ids still without one. */
    const lookUp = (wanted: string[]): string[] =>
      wanted.filter((id) => {
        const piece = this.cache.get(keyOf(id), now);
        if (!piece || now - piece.storedAt >= youngerThan) return true;
        pieces.set(id, piece);
        return false;
      });
    const unique = [...new Set(ids.map(String))];
    // Without a content type learnt for this Accept header, every id runs, and it is learnt.
    let missing = !plan.pieces || this.contentTypes.has(accept) ? lookUp(unique) : unique;
    if (missing.length > 0 && missing.every((id) => this.running.has(keyOf(id)))) {
      await this.waitFor(Promise.all(missing.map((id) => this.running.get(keyOf(id)))));
      now = Date.now();
      missing = lookUp(missing);
    }
    this.observer.lookup(missing.length === 0 ? 'hit' : 'miss', 'response', this.label(operationName), 1);
    if (missing.length > 0) {
      const finished = missing.map((id) => this.lead(keyOf(id)));
      let ran: Map<string, StoredResponse> | undefined;
      try {
        ran = await this.runPieces(accept, key, plan, variables, missing, run);
      } finally {
        for (const finish of finished) finish();
      }
      if (!ran) return false;
      for (const [id, piece] of ran) pieces.set(id, piece);
    }
    let maxAge = plan.pieces ? plan.pieces.maxAge : Infinity;
    let storedAt = now;
    for (const piece of pieces.values()) {
      maxAge = Math.min(maxAge, Number(PUBLIC.exec(piece.headers['cache-control'])![1]));
      storedAt = Math.min(storedAt, piece.storedAt);
    }
    const body = `{"data":{"${plan.responseKey}":[${ids.map((id) => pieces.get(String(id))!.body).join(',')}]}}\n`;
    res.statusCode = 200;
    res.setHeader('content-type', plan.pieces ? this.contentTypes.get(accept)! : pieces.values().next().value!.headers['content-type']);
    res.setHeader('cache-control', `public, max-age=${maxAge}`);
    res.setHeader('age', Math.floor((now - storedAt) / 1000));
    answered.add(res);
    if (!writeCachingHeaders(req, res, body)) res.end(body);
    return true;
  }

  /** Where a list's item is kept: its piece's key when it may be a piece, else one per list. */
  private listPieceKey(key: string, plan: ListPlan): (id: string) => string {
    const shape = plan.pieces?.shape;
    return shape ? (id) => pieceKey(shape.signature, id) : (id) => `${key}\n${id}`;
  }

  /** Runs the list for `missing` ids only and keeps each item as a piece (null items are sent, not kept). */
  private async runPieces(
    accept: string,
    key: string,
    plan: ListPlan,
    variables: Record<string, unknown>,
    missing: string[],
    run: RunWith,
  ): Promise<Map<string, StoredResponse> | undefined> {
    const { response, trace } = await run({ ...variables, [plan.idsVariable]: missing });
    const ranWith = response.headers.get('cache-control') ?? '';
    if ((response.status ?? 200) !== 200 || response.body.kind !== 'complete' || !PUBLIC.test(ranWith)) return undefined;
    // A shared piece says how long it may be kept on its own; a list's own, what its run said.
    const cacheControl = plan.pieces ? `public, max-age=${plan.pieces.shape.maxAge}` : ranWith;
    const maxAge = PUBLIC.exec(cacheControl)![1];
    const contentType = response.headers.get('content-type') ?? 'application/json; charset=utf-8';
    this.contentTypes.set(accept, contentType);
    let items: unknown;
    try {
      const answer = JSON.parse(response.body.string) as { errors?: unknown; data?: Record<string, unknown> };
      items = answer.errors === undefined ? answer.data?.[plan.responseKey] : undefined;
    } catch {
      return undefined;
    }
    if (!Array.isArray(items) || items.length !== missing.length) return undefined;
    const headers = { 'content-type': contentType, 'cache-control': cacheControl };
    const keyOf = this.listPieceKey(key, plan);
    const storedAt = Date.now();
    const pieces = new Map<string, StoredResponse>();
    // Ids as entries name them (no "027" for 27), or an item could drop a tag of its own.
    const canonical = missing.every((id) => String(Number(id)) === id);
    const entityTags = plan.flatItemsOf === undefined || !canonical ? undefined : new Set(missing.map((id) => tags.entity(plan.flatItemsOf!, id)));
    missing.forEach((id, i) => {
      const piece = { body: JSON.stringify(items[i]), headers, storedAt };
      pieces.set(id, piece);
      if (items[i] !== null) this.cache.set(keyOf(id), piece, entityTags ? trace.without(entityTags, tags.entity(plan.flatItemsOf!, id)) : trace, Number(maxAge) * 1000);
    });
    return pieces;
  }

  private label(operationName: string | undefined): string {
    return operationName && this.knownOperations.has(operationName) ? operationName : 'other';
  }

  /**
   * Keeps the answer just sent, if it may be kept (`res` holds its status and headers); with
   * `sites`, its skeleton and pieces too.
   */
  store(req: IncomingMessage, res: ServerResponse, key: string, body: string, trace: ResponseTrace, sites?: readonly PieceSite[]): void {
    if (res.statusCode !== 200) return;
    const cacheControl = String(res.getHeader('cache-control') ?? '');
    const maxAge = PUBLIC.exec(cacheControl)?.[1];
    if (maxAge === undefined) return;
    const headers = { 'content-type': String(res.getHeader('content-type')), 'cache-control': cacheControl };
    this.contentTypes.set(req.headers.accept ?? '', headers['content-type']);
    const storedAt = Date.now();
    const ttlMs = Number(maxAge) * 1000;
    this.cache.set(key, { body, headers, etag: etagOf(body), storedAt }, trace, ttlMs);
    const apart = sites && !trace.conflict && trace.traced ? this.keepPieces(res, body, trace, sites) : undefined;
    if (!apart) return;
    const skeleton = { parts: apart.parts, pieces: apart.pieces.map((piece) => piece.key) };
    this.cache.set(skeletonKey(key), { body: '', headers, storedAt, skeleton }, apart.outside, ttlMs);
  }

  /**
   * Keeps the pieces of an answer just sent (a mutation's, whose answer is not kept: see
   * entityPieces.ts); returns the answer taken apart, undefined when it holds none.
   */
  keepPieces(res: ServerResponse, body: string, trace: ResponseTrace, sites: readonly PieceSite[]): TakenApart | undefined {
    if (res.statusCode !== 200 || trace.conflict) return undefined;
    const apart = takeApart(body, sites, trace);
    const storedAt = Date.now();
    for (const piece of apart?.pieces ?? []) {
      const headers = { 'content-type': String(res.getHeader('content-type')), 'cache-control': `public, max-age=${piece.maxAge}` };
      this.cache.set(piece.key, { body: piece.body, headers, storedAt }, piece.trace, piece.maxAge * 1000);
    }
    return apart;
  }
}

/** JSON with every object's keys sorted: equal values, equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}
