/** docker-compose.yml and the Dockerfile are not run in CI (no Docker engine): check their shape. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { projectRoot } from '../../src/config.js';

test('docker-compose runs postgres, redis and the gateway, each with a health check', () => {
  const compose = parse(readFileSync(path.join(projectRoot, 'docker-compose.yml'), 'utf8'));
  assert.deepEqual(Object.keys(compose.services).sort(), ['gateway', 'postgres', 'redis']);
  for (const [name, service] of Object.entries<any>(compose.services)) assert.ok(service.healthcheck?.test, `${name} has no healthcheck`);
  const gateway = compose.services.gateway;
  assert.equal(gateway.build, '.');
  assert.match(gateway.environment.DATABASE_URL, /@postgres:5432\//);
  assert.match(gateway.environment.REDIS_URL, /^redis:\/\/redis:6379/);
  assert.equal(gateway.depends_on.postgres.condition, 'service_healthy');
});

test('everything the Dockerfile copies exists', () => {
  const dockerfile = readFileSync(path.join(projectRoot, 'Dockerfile'), 'utf8');
  const copied = [...dockerfile.matchAll(/^COPY (.+) \S+$/gm)].flatMap((m) => m[1].split(/\s+/));
  assert.ok(copied.length >= 5);
  for (const entry of copied) assert.ok(existsSync(path.join(projectRoot, entry)), `${entry} is missing`);
});
