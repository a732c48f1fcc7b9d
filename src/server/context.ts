/** The per-request context resolvers receive: who calls, the request's loaders, the shared services. */
import type { Caller } from '../auth/jwt.js';
import type { Db } from '../db/pool.js';
import type { Loaders } from '../loaders/index.js';
import type { InvalidationFeed } from '../invalidation/feed.js';
import type { Invalidator } from '../invalidation/invalidate.js';
import type { OutboxListener } from '../invalidation/pgListen.js';
import type { ViewRefresher } from '../services/viewRefresher.js';
import type { Matcher } from '../services/matcher.js';
import type { MatchHistory } from '../services/matchHistory.js';
import type { Recommender } from '../services/recommender.js';
import type { Cache } from '../cache/index.js';
import type { TierSet } from '../cache/tieredLoader.js';
import type { RequestScope } from '../db/requestScope.js';
import type { ResponseTrace } from '../cache/responses.js';

/** Long-lived parts shared by every request of one gateway instance. */
export interface Services {
  db: Db;
  matcher: Matcher;
  matchHistory: MatchHistory;
  recommender: Recommender;
  feed: InvalidationFeed;
  /** What every write runs before it answers: invalidation on every instance, announcements. */
  invalidator: Invalidator;
  views: ViewRefresher;
  /** Reads back writes that bypassed the gateway. */
  outbox: OutboxListener;
  cache: Cache;
  jwtSecret: string;
}

/** What the HTTP layer (or the WebSocket server) knows of a request when its context is built. */
export interface ContextRequest {
  requestId: string;
  authorization: string | undefined;
  /** The caller, when already identified (a WebSocket identifies it once, at connection_init). */
  caller?: Caller;
  /** Counts the request's SQL statements. */
  scope: RequestScope;
  /** With the response tier: where the request's loaders record what they serve. */
  trace?: ResponseTrace;
  /** Called once Apollo has parsed and validated the document and found the operation to run. */
  documentResolved?: () => void;
}

export interface Context {
  requestId: string;
  caller: Caller;
  loaders: Loaders;
  /** This request's view of the cache tiers, with its counters. */
  tiers: TierSet;
  /** This request's SQL statement count. */
  requestScope: RequestScope;
  services: Services;
  /** ContextRequest's: plugins/documentResolved.ts calls it. */
  documentResolved?: () => void;
}
