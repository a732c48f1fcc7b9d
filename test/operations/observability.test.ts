/**
 * The dashboards and alerts in deploy/ (docker-compose's `observability` profile; no Docker
 * here, so their shape is checked): the seeds' alerts are all there with their thresholds,
 * Prometheus and Grafana get the files they are pointed at, and every metric an alert or a
 * panel reads is one a real gateway exports, so no rule or panel watches a name that does not
 * exist. Then /metrics reports Redis's memory, its bound and its health.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { projectRoot } from '../../src/config.js';
import { startTestGateway, dataOf, metricOf, type TestGateway } from '../helpers/gateway.js';
import { startTestRedis, type TestRedis } from '../helpers/testRedis.js';
import { until } from '../helpers/until.js';

const read = (file: string) => readFileSync(path.join(projectRoot, file), 'utf8');
const alerts = parse(read('deploy/prometheus/alerts.yml'));
const rules: Array<{ alert: string; expr: string }> = alerts.groups.flatMap((g: { rules: unknown[] }) => g.rules);
const dashboard = JSON.parse(read('deploy/grafana/dashboards/strata.json'));
const panelExprs: string[] = dashboard.panels.flatMap((p: { targets: Array<{ expr: string }> }) => p.targets.map((t) => t.expr));

let redis: TestRedis;
let gw: TestGateway;
before(async () => {
  redis = await startTestRedis();
  gw = await startTestGateway({ redisUrl: redis.url });
});
after(async () => {
  await gw?.stop();
  await redis?.stop();
});

test("the seeds' alerts: hit rate under 80%, Redis memory over 85%, cache p95 over 10 ms, evictions, a node down", () => {
  const byName = new Map(rules.map((r) => [r.alert, r.expr]));
  assert.match(byName.get('CacheHitRateLow')!, /< 0\.8\b/);
  assert.match(byName.get('RedisMemoryHigh')!, /> 0\.85\b/);
  assert.match(byName.get('CacheLatencyP95High')!, /histogram_quantile\(0\.95,[\s\S]*> 0\.01\b/);
  assert.ok(byName.has('CacheEvictionsSpike'));
  assert.match(byName.get('RedisNodeDown')!, /strata_redis_nodes_failing|strata_redis_up/);
  assert.match(byName.get('GatewayDown')!, /up\{job="strata"\} == 0/);
});

test('Prometheus and Grafana in docker-compose get the files they are pointed at', () => {
  const { services } = parse(read('docker-compose.yml'), { merge: true });
  const mounts = (name: string) => (services[name].volumes as string[]).map((v) => v.split(':'));
  for (const name of ['prometheus', 'grafana']) {
    assert.deepEqual(services[name].profiles, ['observability']);
    for (const [from] of mounts(name)) assert.ok(existsSync(path.join(projectRoot, from)), `${name} mounts ${from}, which is missing`);
  }
  const prometheus = parse(read('deploy/prometheus/prometheus.yml'));
  const mountedAt = new Map(mounts('prometheus').map(([from, to]) => [to, from]));
  for (const file of prometheus.rule_files) assert.equal(mountedAt.get(file), './deploy/prometheus/alerts.yml');
  assert.ok(prometheus.scrape_configs[0].static_configs[0].targets.includes('gateway:4000'));
  const provider = parse(read('deploy/grafana/provisioning/dashboards/strata.yml')).providers[0];
  assert.ok(mounts('grafana').some(([from, to]) => to === provider.options.path && from === './deploy/grafana/dashboards'));
});

test('every metric an alert or a panel reads is exported by a gateway', async () => {
  dataOf(await gw.post('{ movie(id: "1") { title } candidate(id: "2") { name } }'));
  const exported = new Set([...(await (await fetch(gw.url.replace(/\/graphql$/, '/metrics'))).text()).matchAll(/^# TYPE (\w+)/gm)].map((m) => m[1]));
  const used = new Set<string>();
  for (const expr of [...rules.map((r) => r.expr), ...panelExprs]) {
    for (const [name] of expr.matchAll(/\b(?:cache|strata)_[a-z0-9_]+/g)) used.add(name.replace(/_(bucket|sum|count)$/, ''));
  }
  assert.ok(used.size >= 15, `${used.size} metrics used`);
  const missing = [...used].filter((name) => !exported.has(name));
  assert.deepEqual(missing, [], 'metrics the alerts or the dashboard read that no gateway exports');
});

test("/metrics reports Redis's memory, its bound and that it is up", async () => {
  await redis.client.config('SET', 'maxmemory', String(64 * 1024 * 1024));
  // A scrape has INFO read in the background (at most every 5 s); a later scrape reports it.
  await until(async () => (await metricOf(gw, 'strata_redis_maxmemory_bytes')) === 64 * 1024 * 1024, 'the bound reported', 15_000);
  assert.equal(await metricOf(gw, 'strata_redis_up'), 1);
  assert.ok((await metricOf(gw, 'cache_memory_bytes{level="l2"}')) > 0);
  assert.equal(await metricOf(gw, 'strata_redis_nodes_failing'), 0);
});
