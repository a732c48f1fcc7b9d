/** Prometheus metrics of one gateway instance (own registry, so tests can run several). */
import client from 'prom-client';
import type { Db } from './db/pool.js';

export interface Metrics {
  registry: client.Registry;
  requests: client.Counter<'type' | 'outcome'>;
  duration: client.Histogram<'type'>;
  errors: client.Counter<'code'>;
}

export function createMetrics(db: Db): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'strata_process_' });
  const requests = new client.Counter({
    name: 'strata_graphql_requests_total',
    // No operation-name label: clients choose names, and unbounded label values blow up Prometheus.
    help: 'GraphQL operations, by type (query, mutation, subscription) and outcome (ok or error).',
    labelNames: ['type', 'outcome'] as const,
    registers: [registry],
  });
  const duration = new client.Histogram({
    name: 'strata_graphql_request_duration_seconds',
    help: 'Time from request to response, by operation type.',
    labelNames: ['type'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5],
    registers: [registry],
  });
  const errors = new client.Counter({
    name: 'strata_graphql_errors_total',
    help: 'GraphQL errors sent to clients, by extensions.code.',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  new client.Gauge({
    name: 'strata_pg_pool_connections',
    help: 'Postgres pool connections: total, idle, and requests waiting for one.',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      this.set({ state: 'total' }, db.totalCount);
      this.set({ state: 'idle' }, db.idleCount);
      this.set({ state: 'waiting' }, db.waitingCount);
    },
  });
  return { registry, requests, duration, errors };
}
