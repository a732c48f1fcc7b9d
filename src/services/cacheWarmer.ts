/**
 * Cache warming (seeds 000 and 004): at start, and again whenever L1 was cleared (the bus came
 * back after an outage, so nothing held could be trusted), the keys most asked for are asked
 * for, in the background: the popular movies, each sector's most matched jobs with their best
 * candidates, the power users' recommendations and profiles, and the candidates most matched
 * in the last day with their top matches. They are the first-party client's own operations
 * (the contract's trusted documents, with the variables it sends), through the gateway's own
 * HTTP endpoint: every tier fills as that client's request would, the response tier included.
 * Serving never waits: a few requests at a time, with a progress line every few seconds.
 */
import type { Db } from '../db/pool.js';
import { TrustedDocuments } from '../server/persisted/manifest.js';
import { logger } from '../log.js';

const log = logger('services.cacheWarmer');

/** How many of each kind are warmed. */
const POPULAR_MOVIES = 500;
const JOBS_PER_SECTOR = 10;
const POWER_USERS = 200;
const MATCHED_CANDIDATES = 200;
const PROGRESS_EVERY_MS = 5000;

export interface WarmRequest {
  query: string;
  variables?: Record<string, unknown>;
}

export interface CacheWarmerOptions {
  /** Requests in flight at once. */
  concurrency: number;
}

export class CacheWarmer {
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** Warm-ups completed since start. */
  completed = 0;

  constructor(
    private readonly db: Db,
    private readonly url: string,
    private readonly options: CacheWarmerOptions,
  ) {}

  /** Warms now, in the background; asked while warming, warms once more after. */
  request(reason: string): void {
    if (this.stopped) return;
    if (this.running) return void (this.again = true);
    this.running = this.run(reason).finally(() => {
      this.running = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.request('asked again while warming');
      }
    });
  }

  /** Resolves when no warm-up is running (tests; shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.idle();
  }

  private async run(reason: string): Promise<void> {
    const started = performance.now();
    let requests: WarmRequest[];
    try {
      requests = await warmRequests(this.db);
    } catch (err) {
      return void log.warn('could not list what to warm; the cache fills as clients ask', { reason, err });
    }
    log.info('cache warming started', { reason, requests: requests.length, concurrency: this.options.concurrency });
    let done = 0;
    let failed = 0;
    let lastProgress = started;
    let next = 0;
    const worker = async () => {
      while (!this.stopped && next < requests.length) {
        const request = requests[next++];
        try {
          const res = await fetch(this.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-strata-warming': '1' }, body: JSON.stringify(request) });
          const body = (await res.json()) as { errors?: unknown[] };
          if (res.status !== 200 || body.errors) failed++;
        } catch {
          failed++;
        }
        done++;
        if (performance.now() - lastProgress >= PROGRESS_EVERY_MS) {
          lastProgress = performance.now();
          log.info('cache warming', { done, of: requests.length, failed });
        }
      }
    };
    await Promise.all(Array.from({ length: this.options.concurrency }, worker));
    this.completed++;
    log.info('cache warmed', { reason, requests: done, failed, seconds: Math.round((performance.now() - started) / 100) / 10, stopped: this.stopped || undefined });
  }
}

/** What a warm-up asks, the most asked-for first within each kind, the kinds interleaved. */
export async function warmRequests(db: Db): Promise<WarmRequest[]> {
  const ids = async (sql: string, params: unknown[] = []) => (await db.query<{ id: number }>(sql, params)).rows.map((r) => String(r.id));
  const [popular, sectorJobs, powerUsers, matched] = await Promise.all([
    ids('SELECT movie_id AS id FROM movie_stats ORDER BY rating_count DESC, movie_id LIMIT $1', [POPULAR_MOVIES]),
    ids(
      `SELECT id FROM (
         SELECT j.id, row_number() OVER (PARTITION BY j.sector ORDER BY count(m.id) DESC, j.id) AS rank
         FROM jobs j LEFT JOIN matches m ON m.job_id = j.id AND m.computed_at > now() - interval '1 day'
         GROUP BY j.id, j.sector
       ) ranked WHERE rank <= $1 ORDER BY rank, id`,
      [JOBS_PER_SECTOR],
    ),
    ids('SELECT user_id AS id FROM ratings GROUP BY user_id ORDER BY count(*) DESC, user_id LIMIT $1', [POWER_USERS]),
    ids(
      `SELECT candidate_id AS id FROM matches WHERE computed_at > now() - interval '1 day'
       GROUP BY candidate_id ORDER BY count(*) DESC, candidate_id LIMIT $1`,
      [MATCHED_CANDIDATES],
    ),
  ]);
  const operations = TrustedDocuments.load().byOperationName();
  const op = (name: string, variables: Record<string, unknown>): WarmRequest => {
    const query = operations.get(name)?.query;
    if (!query) throw new Error(`the contract has no operation ${name}: regenerate it (npm run codegen)`);
    return { query, variables };
  };
  const kinds: WarmRequest[][] = [
    [
      op('PopularMovies', { limit: 20 }),
      // A statement per 100 movies fills L1 and L2; then each movie's own answer, from them.
      ...chunks(popular, 100).map((ids) => op('Movies', { ids })),
      ...popular.map((id) => op('Movie', { id })),
    ],
    sectorJobs.flatMap((id) => [op('Job', { id }), op('TopCandidates', { jobId: id, limit: 10 })]),
    powerUsers.flatMap((id) => [op('Recommendations', { userId: id, n: 10 }), op('UserProfile', { id })]),
    matched.flatMap((id) => [op('Candidate', { id }), op('TopMatches', { candidateId: id, limit: 10 })]),
  ];
  // Round robin over the kinds: a warm-up cut short has warmed some of each.
  const ordered: WarmRequest[] = [];
  for (let i = 0; kinds.some((kind) => i < kind.length); i++) for (const kind of kinds) if (i < kind.length) ordered.push(kind[i]);
  return ordered;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

