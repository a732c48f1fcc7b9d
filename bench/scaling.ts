/**
 * `npm run bench:scaling [-- --quick]`: how Strata scales out. 1, 2 and 4 gateway processes
 * (CACHE=l1+l2) on one Redis Cluster (3 masters, 3 replicas, the bench's own, on loopback) and
 * one Postgres, the standard mix on 32 connections that take turns over the instances (round
 * robin by connection, as a load balancer would spread them, without a proxy's own CPU on the
 * machine). Per N, from a flushed cluster and new processes:
 *  - throughput and latency over a measured window after a warm-up, and the hit rate per
 *    level summed over the instances (each instance warms its own L1; L2 is shared);
 *  - freshness: writes (mutations on the instances in turn) under the same mix, each read back
 *    at once on every instance (stale read-backs), and from each write to the other instances'
 *    L1 no longer trusting it (their strata_bus_lag_seconds histograms, summed).
 * Everything shares the machine's cores: past 2 processes on 2 cores, more instances add
 * contention, not capacity; what the figures show is the cost of more instances (hit rate,
 * freshness), not a capacity plan. Writes bench/results/scaling.md (scaling-quick.md with --quick).
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../src/config.js';
import { createTestDatabase } from '../test/helpers/testDb.js';
import { startTestRedisCluster } from '../test/helpers/testRedisCluster.js';
import { bucketsBetween, cacheLookups, cpuSeconds, hitRate, histogram, load, percentile, standardMix, startServer, type BenchServer } from './workload.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const SCALE = values.quick ? 0.1 : 0.25;
const WARM_MS = values.quick ? 3000 : 10_000;
const MEASURE_MS = values.quick ? 4000 : 15_000;
const WRITES = values.quick ? 20 : 100;
const COUNTS = [1, 2, 4];
/** Connections of the background mix while the writes run. */
const WRITE_LOAD_CONNECTIONS = 16;

interface Row {
  instances: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU of every instance together, per request served. */
  cpuUsPerRequest: number;
  hits: Record<string, number | undefined>;
  stale: number;
  writes: number;
  lag: ReturnType<typeof bucketsBetween> | undefined;
}

const database = await createTestDatabase({ scale: SCALE });
const cluster = await startTestRedisCluster();
const rows: Row[] = [];
try {
  for (const n of COUNTS) {
    for (const node of await cluster.masters()) await node.client.flushall();
    process.stderr.write(`bench: scaling ${n} instance(s): starting… `);
    const servers: BenchServer[] = await Promise.all(
      Array.from({ length: n }, () => startServer('l1+l2', { DATABASE_URL: database.url, REDIS_CLUSTER_NODES: cluster.nodesSetting })),
    );
    try {
      const urls = servers.map((s) => s.url);
      process.stderr.write('warming… ');
      await load(urls, WARM_MS, standardMix(SCALE));
      const lookupsBefore = await Promise.all(urls.map(cacheLookups));
      const cpu = () => servers.reduce((total, server) => total + (cpuSeconds(server.child.pid) ?? 0), 0);
      const cpuBefore = cpu();
      process.stderr.write('measuring… ');
      const measured = await load(urls, MEASURE_MS, standardMix(SCALE));
      const cpuUsPerRequest = ((cpu() - cpuBefore) * 1e6) / measured.latenciesMs.length;
      const lookupsAfter = await Promise.all(urls.map(cacheLookups));
      const sorted = [...measured.latenciesMs].sort((x, y) => x - y);
      const sum = (readings: Array<Record<string, number>>) => {
        const total: Record<string, number> = {};
        for (const reading of readings) for (const [k, v] of Object.entries(reading)) total[k] = (total[k] ?? 0) + v;
        return total;
      };
      const [before, after] = [sum(lookupsBefore), sum(lookupsAfter)];
      const hits = Object.fromEntries(['response', 'l1', 'l2'].map((level) => [level, hitRate(before, after, level)]));

      process.stderr.write('writing… ');
      const lagBefore = await Promise.all(urls.map((url) => histogram(url, 'strata_bus_lag_seconds')));
      let loading = true;
      const next = standardMix(SCALE);
      const background = load(urls, 60 * 60_000, () => (loading ? next() : undefined), WRITE_LOAD_CONNECTIONS);
      let stale = 0;
      const candidates = Math.round(5000 * SCALE);
      for (let i = 0; i < WRITES; i++) {
        const id = 1 + Math.floor(Math.random() * candidates);
        const title = `Scaling write ${n}.${i}`;
        await Promise.all(urls.map((url) => post(url, `{ candidate(id: "${id}") { title } }`))); // cached everywhere first
        await post(urls[i % n], `mutation { updateCandidate(id: "${id}", input: { title: "${title}" }) { id } }`);
        const seen = await Promise.all(urls.map((url) => post(url, `{ candidate(id: "${id}") { title } }`)));
        stale += seen.filter((body) => body.data?.candidate?.title !== title).length;
      }
      loading = false;
      await background;
      const lagAfter = await Promise.all(urls.map((url) => histogram(url, 'strata_bus_lag_seconds')));
      const lag = n > 1 ? bucketsBetween(sumBuckets(lagBefore), sumBuckets(lagAfter)) : undefined;
      rows.push({
        instances: n,
        rps: measured.latenciesMs.length / measured.seconds,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        errors: measured.errors,
        cpuUsPerRequest,
        hits,
        stale,
        writes: WRITES * n,
        lag,
      });
      process.stderr.write(`${Math.round(rows[rows.length - 1].rps)} req/s\n`);
    } finally {
      for (const server of servers) server.child.kill('SIGKILL');
    }
  }

  const pct = (x: number | undefined) => (x === undefined ? 'n/a' : `${(x * 100).toFixed(1)}%`);
  const base = rows[0].rps;
  const table = rows
    .map(
      (r) =>
        `| ${r.instances} | ${Math.round(r.rps).toLocaleString('en')} | ${(r.rps / base).toFixed(2)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.errors} | ${Math.round(r.cpuUsPerRequest)} | ` +
        `${pct(r.hits.response)} | ${pct(r.hits.l1)} | ${pct(r.hits.l2)} | ${r.stale} of ${r.writes} | ` +
        (r.lag ? `≤ ${r.lag.quantile(0.5)} | ≤ ${r.lag.quantile(0.99)} | ≤ ${r.lag.quantile(1)} |` : 'n/a | n/a | n/a |'),
    )
    .join('\n');
  const report = `# Scaling out: 1, 2 and 4 instances on a Redis Cluster

${new Date().toISOString()} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'} · ${Math.round(os.totalmem() / 2 ** 30)} GiB · Node ${process.version}
Seed scale ${SCALE}; N gateway processes (CACHE=l1+l2) on one Redis Cluster of 3 masters and 3 replicas and one
Postgres, all on this machine. The standard mix on 32 connections, which take turns over the instances; ${WARM_MS / 1000} s of
warm-up, then ${MEASURE_MS / 1000} s measured, from a flushed cluster and new processes for each N. Then ${WRITES} mutations on the
instances in turn under the mix on ${WRITE_LOAD_CONNECTIONS} connections, each read back at once on every instance.

| instances | req/s | × 1 instance | p50 ms | p99 ms | errors | gateways' CPU µs/req | response hits | L1 hits | L2 hits | stale read-backs (writes × instances) | write → other L1 p50 ms | p99 ms | max ms |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${table}

Gateways' CPU is every instance's CPU time over the measured window, per request: what a request costs
wherever it lands, the figure that carries over to more machines. Hit rates are per level, of the lookups that reached it (a response-tier miss goes on to L1, an L1 miss to L2).
"write → other L1" is from a write's start to each other instance's L1 no longer trusting what it changed
(their \`strata_bus_lag_seconds\` histograms, summed; bucket bounds, so ≤). ${os.cpus().length} cores serve every process here, Redis
and Postgres included: this shows what more instances cost (each warms its own L1 and response tier; the bus
fans each write out to all), not the capacity more machines would add (docs/scaling.md).
`;
  await writeFile(path.join(projectRoot, 'bench/results', values.quick ? 'scaling-quick.md' : 'scaling.md'), report);
  console.log(report);
} finally {
  await cluster.stop();
  await database.drop();
}

async function post(url: string, query: string): Promise<{ data?: any; errors?: unknown[] }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  const body = await res.json();
  if (body.errors) throw new Error(`${query}: ${JSON.stringify(body.errors)}`);
  return body;
}

/** Histogram buckets of several instances, added up. */
function sumBuckets(readings: Array<Map<number, number>>): Map<number, number> {
  const total = new Map<number, number>();
  for (const reading of readings) for (const [le, count] of reading) total.set(le, (total.get(le) ?? 0) + count);
  return total;
}
