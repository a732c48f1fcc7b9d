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

export interface Context {
  requestId: string;
  caller: Caller;
  loaders: Loaders;
  /** This request's view of the cache tiers, with its counters. */
  tiers: TierSet;
  /** This request's SQL statement count. */
  requestScope: RequestScope;
  services: Services;
}
