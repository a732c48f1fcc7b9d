/**
 * Writes that bypass the gateway: triggers record each changed row in change_outbox and
 * NOTIFY strata_changes at commit (migrations/003_change_outbox.sql). One instance at a time
 * — whichever holds the outbox's advisory lock, on a connection of its own — LISTENs, reads
 * the rows back in order, runs the same invalidation as a mutation (every instance hears it
 * on the bus), then deletes them. The others stand by and try for the lock every
 * `standbyRetryMs`; the lock is released when its holder's connection ends, however it ends.
 *
 * Nothing is lost: the rows stay until invalidated, so a notification missed (a dropped
 * connection) or a holder that died mid-way only delays them, and a row read twice only
 * invalidates twice. The bound on staleness after a foreign commit: a few milliseconds when
 * the notification arrives, at most `pollMs` when it does not, plus `standbyRetryMs` while no
 * instance holds the lock (its holder died).
 */
import pg from 'pg';
import type { Db } from '../db/pool.js';
import type { MatchAlgorithm } from '../engine/matching.js';
import type { DomainEvent } from './events.js';
import { logger } from '../log.js';

const log = logger('invalidation.pgListen');

export const CHANGES_CHANNEL = 'strata_changes';
/** The advisory lock whose holder reads the outbox (any constant shared by every instance). */
const OUTBOX_LOCK_KEY = 7_310_553;
/** Rows read and invalidated per round. */
const BATCH = 1000;

export interface OutboxOptions {
  /** Reads the outbox this often even without a notification. */
  pollMs: number;
  /** A standby instance tries for the lock this often. */
  standbyRetryMs: number;
}

interface OutboxRow {
  id: string;
  table_name: string;
  op: 'INSERT' | 'UPDATE' | 'DELETE';
  row_key: Record<string, unknown>;
}

export class OutboxListener {
  private client: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private draining: Promise<void> | null = null;
  private drainAgain = false;
  private stopped = false;
  /** True while this instance holds the lock and listens. */
  leading = false;

  constructor(
    private readonly db: Db,
    private readonly invalidate: (events: DomainEvent[]) => Promise<void>,
    private readonly options: OutboxOptions,
  ) {}

  /** Starts trying for the lock; resolves after the first try (leading or standing by). */
  async start(): Promise<void> {
    await this.attempt();
  }

  /** Resolves once every row committed so far has been invalidated (when this instance leads). */
  async drained(): Promise<void> {
    if (this.leading) await this.drain();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.draining?.catch(() => undefined);
    await this.client?.end().catch(() => undefined);
    this.client = null;
    this.leading = false;
  }

  /** One try for the lock; schedules the next step whatever happens. */
  private async attempt(): Promise<void> {
    if (this.stopped) return;
    try {
      if (!this.client) this.client = await this.connect();
      const { rows } = await this.client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [OUTBOX_LOCK_KEY]);
      if (rows[0].locked) {
        await this.client.query(`LISTEN ${CHANGES_CHANNEL}`);
        this.leading = true;
        log.info('reading the change outbox (writes that bypass the gateway) on this instance');
        await this.drain();
      }
    } catch (err) {
      log.warn('could not reach Postgres for the change outbox; retrying', { err });
      this.drop();
    }
    this.schedule(this.leading ? this.options.pollMs : this.options.standbyRetryMs);
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client(this.db.options);
    // Without a listener, an error on this idle connection would crash the process.
    client.on('error', (err) => {
      log.warn('change outbox connection failed; another instance or a reconnect takes over', { err });
      this.drop();
      this.schedule(this.options.standbyRetryMs);
    });
    client.on('notification', (message) => {
      if (message.channel === CHANGES_CHANNEL) void this.drain();
    });
    await client.connect();
    return client;
  }

  /** Forgets a broken connection (its lock went with it). */
  private drop(): void {
    this.client?.end().catch(() => undefined);
    this.client = null;
    this.leading = false;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.leading) void this.drain().finally(() => this.schedule(this.options.pollMs));
      else void this.attempt();
    }, ms);
    this.timer.unref();
  }

  /** Reads and invalidates rows until none is left; calls made meanwhile fold into one more pass. */
  private drain(): Promise<void> {
    if (this.draining) {
      this.drainAgain = true;
      return this.draining;
    }
    this.draining = (async () => {
      try {
        do {
          this.drainAgain = false;
          while (this.client && this.leading && (await this.drainBatch(this.client)) === BATCH);
        } while (this.drainAgain);
      } catch (err) {
        log.warn('could not read the change outbox; the rows stay and are read again', { err });
      } finally {
        this.draining = null;
      }
    })();
    return this.draining;
  }

  /** One batch: read in commit order, invalidate, then delete (a crash in between reads them again). */
  private async drainBatch(client: pg.Client): Promise<number> {
    const { rows } = await client.query<OutboxRow>(
      'SELECT id, table_name, op, row_key FROM change_outbox ORDER BY id LIMIT $1',
      [BATCH],
    );
    if (rows.length === 0) return 0;
    const events = eventsOf(rows);
    await this.invalidate(events);
    await client.query('DELETE FROM change_outbox WHERE id <= $1', [rows[rows.length - 1].id]);
    log.debug('invalidated writes that bypassed the gateway', { rows: rows.length, events: events.length });
    return rows.length;
  }
}

/** The domain events of outbox rows, one per changed entity. */
export function eventsOf(rows: readonly OutboxRow[]): DomainEvent[] {
  const events = new Map<string, DomainEvent>();
  for (const row of rows) {
    const event = eventOf(row);
    if (event) events.set(JSON.stringify(event), event);
  }
  return [...events.values()];
}

function eventOf({ table_name: table, op, row_key: key }: OutboxRow): DomainEvent | undefined {
  const id = Number(key.id);
  switch (table) {
    case 'candidates':
      return { type: 'CandidateUpdated', candidateId: id };
    case 'jobs':
      return { type: 'JobUpdated', jobId: id };
    case 'companies':
      return { type: 'CompanyUpdated', companyId: id };
    case 'movies':
      return { type: 'MovieUpdated', movieId: id };
    case 'users':
      return { type: 'UserUpdated', userId: id };
    case 'algorithm_weights':
      return { type: 'AlgorithmUpdated', algorithm: String(key.algorithm) as MatchAlgorithm };
    case 'road_model':
      return { type: 'GeoDataUpdated' };
    case 'ratings': {
      const userId = Number(key.user_id);
      const movieId = Number(key.movie_id);
      if (op === 'DELETE') return { type: 'RatingDeleted', userId, movieId };
      return { type: op === 'INSERT' ? 'RatingCreated' : 'RatingUpdated', userId, movieId, movieRatingCount: null };
    }
    default:
      log.warn('change outbox names a table the gateway does not cache; ignored', { table });
      return undefined;
  }
}
