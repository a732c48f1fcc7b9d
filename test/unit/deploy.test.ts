/** docker-compose.yml and the Dockerfile are not run in CI (no Docker engine): check their shape. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { projectRoot } from '../../src/config.js';

const compose = () => parse(readFileSync(path.join(projectRoot, 'docker-compose.yml'), 'utf8'), { merge: true });
/** The services a profile adds (none: those `docker compose up` starts). */
const servicesOf = (services: Record<string, any>, profile?: string) =>
  Object.keys(services).filter((name) => (profile ? services[name].profiles?.includes(profile) : !services[name].profiles)).sort();

test('docker-compose runs postgres, redis and the gateway, each with a health check', () => {
  const { services } = compose();
  assert.deepEqual(servicesOf(services), ['gateway', 'postgres', 'redis']);
  for (const name of servicesOf(services)) assert.ok(services[name].healthcheck?.test, `${name} has no healthcheck`);
  const gatewayOf = services.gateway;
  assert.equal(gatewayOf.build, '.');
  assert.match(gatewayOf.environment.DATABASE_URL, /@postgres:5432\//);
  assert.match(gatewayOf.environment.REDIS_URL, /^redis:\/\/redis:6379/);
  assert.equal(gatewayOf.depends_on.postgres.condition, 'service_healthy');
});

test('the cluster profile: six Redis cluster nodes, a one-shot that joins them, two gateways on them behind a load balancer', () => {
  const { services } = compose();
  const added = servicesOf(services, 'cluster');
  const nodes = added.filter((name) => name.startsWith('redis-node-'));
  assert.equal(nodes.length, 6);
  for (const name of nodes) {
    assert.match(services[name].command, /--cluster-enabled yes/);
    assert.match(services[name].command, /--maxmemory-policy allkeys-lru/);
    assert.equal(services[name].hostname, name, 'each node announces a name the gateways resolve');
  }
  assert.match(services['redis-cluster-init'].command, /--cluster create[\s\S]*--cluster-replicas 1/);
  const gateways = added.filter((name) => name.startsWith('gateway-'));
  assert.equal(gateways.length, 2);
  for (const name of gateways) {
    const env = services[name].environment;
    for (const node of env.REDIS_CLUSTER_NODES.split(',')) assert.ok(nodes.includes(node.split(':')[0]), `${node} is a node of the compose file`);
    assert.equal(env.REDIS_URL, undefined);
    assert.equal(services[name].depends_on['redis-cluster-init'].condition, 'service_completed_successfully');
  }
  const balancer = services['load-balancer'];
  const conf = readFileSync(path.join(projectRoot, balancer.volumes[0].split(':')[0]), 'utf8');
  for (const name of gateways) assert.match(conf, new RegExp(`server ${name}:4000;`));
  assert.match(conf, /proxy_set_header Upgrade/, 'WebSocket subscriptions pass through');
});

test('everything the Dockerfile copies exists', () => {
  const dockerfile = readFileSync(path.join(projectRoot, 'Dockerfile'), 'utf8');
  const copied = [...dockerfile.matchAll(/^COPY (.+) \S+$/gm)].flatMap((m) => m[1].split(/\s+/));
  assert.ok(copied.length >= 5);
  for (const entry of copied) assert.ok(existsSync(path.join(projectRoot, entry)), `${entry} is missing`);
});
