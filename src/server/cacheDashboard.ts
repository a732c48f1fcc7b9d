/**
 * The live cache page: `GET /cache` serves cachePage.html (no build step), which follows
 * `GET /cache/stream`, a server-sent event stream of one snapshot a second: hit rates per level
 * and per type, requests/s and latency, L1 and Redis memory, Redis evictions, stale serves,
 * invalidations per reason, view refreshes, and the latest invalidations. The snapshots are
 * read off this instance's metrics registry (deltas between two readings make the rates) and
 * its invalidation feed; nothing is sampled while no page is open.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { Metrics } from '../metrics.js';
import type { InvalidationFeed } from '../invalidation/feed.js';
import type { InvalidatedEntity } from '../invalidation/events.js';
import type { ViewRefreshRecord } from '../db/views.js';

const PAGE = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'cachePage.html'), 'utf8');
const SAMPLE_MS = 1000;
const LATEST_INVALIDATIONS = 20;

type Values = Map<string, number>;

export interface CacheSnapshot {
  at: string;
  seconds: number;
  /** Requests answered per second: operations run, and answers the response tier gave whole. */
  requestsPerSecond: number;
  answeredTotal: number;
  /** Latency of the operations run (not the response tier's answers), in ms over the last second. */
  p50Ms: number | null;
  p99Ms: number | null;
  /** Per level (response, l1, l2): hits over lookups, the last second and since start. */
  hitRate: Record<string, { now: number | null; total: number | null }>;
  /** Per GraphQL type: the share of its L1 lookups answered by L1 or L2, since start. */
  hitRateByType: Array<{ type: string; lookups: number; rate: number | null }>;
  memory: { l1Bytes: number; redisBytes: number | null; redisMaxBytes: number | null };
  redisEvictedKeys: number | null;
  l1Evictions: number;
  staleServed: number;
  invalidationsByReason: Record<string, number>;
  views: Array<{ view: string; refreshedAt: string; ageSeconds: number; durationMs: number }>;
  latestInvalidations: Array<{ typename: string; id: string; reason: string; at: string }>;
}

export class CacheDashboard {
  private readonly clients = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | undefined;
  private previous: { values: Values; at: number } | undefined;
  private readonly latest: InvalidatedEntity[] = [];
  private feedSubscription: AsyncIterableIterator<{ cacheInvalidated: InvalidatedEntity }> | undefined;

  constructor(
    private readonly metrics: Metrics,
    private readonly feed: InvalidationFeed,
    private readonly views: { lastRefreshes(): ViewRefreshRecord[] },
  ) {}

  /** GET /cache */
  page(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(PAGE);
  }

  /** GET /cache/stream: a snapshot now, then one a second, until the page goes. */
  stream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(': Strata cache snapshots, one a second\n\n');
    this.clients.add(res);
    req.once('close', () => {
      this.clients.delete(res);
      if (this.clients.size === 0) this.stopSampling();
    });
    if (!this.timer) this.startSampling();
    else void this.sample();
  }

  /** Ends every stream (the server stops). */
  close(): void {
    for (const res of this.clients) res.end();
    this.clients.clear();
    this.stopSampling();
  }

  private startSampling(): void {
    this.feedSubscription = this.feed.subscribe({});
    void this.follow(this.feedSubscription);
    void this.sample();
    this.timer = setInterval(() => void this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  private stopSampling(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.previous = undefined;
    void this.feedSubscription?.return?.();
    this.feedSubscription = undefined;
  }

  /** Keeps the latest announcements, newest first. */
  private async follow(subscription: AsyncIterableIterator<{ cacheInvalidated: InvalidatedEntity }>): Promise<void> {
    try {
      for await (const { cacheInvalidated } of subscription) {
        this.latest.unshift(cacheInvalidated);
        this.latest.length = Math.min(this.latest.length, LATEST_INVALIDATIONS);
      }
    } catch {
      // fell behind (SUBSCRIBER_TOO_SLOW): the next page opened subscribes again
    }
  }

  private async sample(): Promise<void> {
    const json = (await this.metrics.registry.getMetricsAsJSON()) as MetricObjectWithValues<MetricValue<string>>[];
    const values: Values = new Map();
    for (const metric of json) for (const v of metric.values) values.set(keyOf((v as { metricName?: string }).metricName ?? metric.name, v.labels), v.value);
    const now = performance.now();
    const snapshot = this.snapshot(values, this.previous, now);
    this.previous = { values, at: now };
    const event = `data: ${JSON.stringify(snapshot)}\n\n`;
    for (const res of this.clients) res.write(event);
  }

  private snapshot(values: Values, previous: { values: Values; at: number } | undefined, now: number): CacheSnapshot {
    const seconds = previous ? (now - previous.at) / 1000 : 0;
    const sum = (v: Values | undefined, name: string, match: Record<string, string> = {}) => {
      if (!v) return 0;
      let total = 0;
      for (const [key, value] of v) if (matches(key, name, match)) total += value;
      return total;
    };
    const delta = (name: string, match: Record<string, string> = {}) => sum(values, name, match) - sum(previous?.values, name, match);
    const rate = (hits: number, lookups: number) => (lookups > 0 ? hits / lookups : null);

    const hitRate: CacheSnapshot['hitRate'] = {};
    for (const level of ['response', 'l1', 'l2']) {
      const hits = (v?: Values) => sum(v, 'cache_hits_total', { level });
      const misses = (v?: Values) => sum(v, 'cache_misses_total', { level });
      const dHits = hits(values) - hits(previous?.values);
      const dMisses = misses(values) - misses(previous?.values);
      hitRate[level] = { now: previous ? rate(dHits, dHits + dMisses) : null, total: rate(hits(values), hits(values) + misses(values)) };
    }
    const types = new Set<string>();
    for (const key of values.keys()) if (key.startsWith('cache_hits_total|') || key.startsWith('cache_misses_total|')) types.add(labelsOf(key).type);
    const hitRateByType = [...types]
      .map((type) => {
        const lookups = sum(values, 'cache_hits_total', { level: 'l1', type }) + sum(values, 'cache_misses_total', { level: 'l1', type });
        const answered = sum(values, 'cache_hits_total', { level: 'l1', type }) + sum(values, 'cache_hits_total', { level: 'l2', type });
        return { type, lookups, rate: rate(answered, lookups) };
      })
      .filter((t) => t.lookups > 0)
      .sort((a, b) => b.lookups - a.lookups);

    const answeredTotal = sum(values, 'strata_graphql_requests_total') + sum(values, 'cache_hits_total', { level: 'response' });
    const answeredBefore = sum(previous?.values, 'strata_graphql_requests_total') + sum(previous?.values, 'cache_hits_total', { level: 'response' });
    const les = new Set([...values.keys()].filter((key) => matches(key, 'strata_graphql_request_duration_seconds_bucket')).map((key) => labelsOf(key).le));
    const byLe = new Map([...les].map((le) => [le === '+Inf' ? Infinity : Number(le), delta('strata_graphql_request_duration_seconds_bucket', { le })]));
    const invalidationsByReason: Record<string, number> = {};
    for (const [key, value] of values) if (matches(key, 'strata_invalidations_total')) invalidationsByReason[labelsOf(key).reason] = (invalidationsByReason[labelsOf(key).reason] ?? 0) + value;
    const redisBytes = values.get(keyOf('cache_memory_bytes', { level: 'l2' }));
    return {
      at: new Date().toISOString(),
      seconds,
      requestsPerSecond: seconds > 0 ? (answeredTotal - answeredBefore) / seconds : 0,
      answeredTotal,
      p50Ms: quantileMs(byLe, 0.5),
      p99Ms: quantileMs(byLe, 0.99),
      hitRate,
      hitRateByType,
      memory: { l1Bytes: values.get(keyOf('cache_memory_bytes', { level: 'l1' })) ?? 0, redisBytes: redisBytes ?? null, redisMaxBytes: values.get(keyOf('strata_redis_maxmemory_bytes', {})) ?? null },
      redisEvictedKeys: values.get(keyOf('strata_redis_evicted_keys', {})) ?? null,
      l1Evictions: sum(values, 'cache_evictions_total'),
      staleServed: sum(values, 'cache_stale_served_total'),
      invalidationsByReason,
      views: this.views.lastRefreshes().map((r) => ({
        view: r.view,
        refreshedAt: r.refreshedAt.toISOString(),
        ageSeconds: Math.round((Date.now() - r.refreshedAt.getTime()) / 1000),
        durationMs: r.durationMs,
      })),
      latestInvalidations: this.latest.map((e) => ({ typename: e.typename, id: e.id, reason: e.reason, at: e.at.toISOString() })),
    };
  }
}

function keyOf(name: string, labels: Partial<Record<string, string | number>> = {}): string {
  return `${name}|${Object.entries(labels)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',')}`;
}

function labelsOf(key: string): Record<string, string> {
  const [, labels = ''] = key.split('|');
  return Object.fromEntries(labels.split(',').filter(Boolean).map((pair) => pair.split('=') as [string, string]));
}

function matches(key: string, name: string, match: Record<string, string> = {}): boolean {
  if (!key.startsWith(`${name}|`)) return false;
  const labels = labelsOf(key);
  return Object.entries(match).every(([k, v]) => labels[k] === v);
}

/** The `q` quantile of the operations counted in histogram buckets (upper bound → count in that bucket and below), in ms. */
function quantileMs(cumulative: Map<number, number>, q: number): number | null {
  const bounds = [...cumulative.keys()].sort((a, b) => a - b);
  const total = cumulative.get(Infinity) ?? 0;
  if (total <= 0) return null;
  const bound = bounds.find((le) => (cumulative.get(le) ?? 0) >= q * total);
  return bound === undefined || bound === Infinity ? null : bound * 1000;
}
