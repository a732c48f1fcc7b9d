import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, DEVELOPMENT_JWT_SECRET, loadConfig } from '../../src/config.js';

test('defaults: port 4000, embedded Postgres, the documented development secret', () => {
  const config = loadConfig({});
  assert.equal(config.http.port, 4000);
  assert.equal(config.database.url, undefined);
  assert.equal(config.auth.jwtSecret, DEVELOPMENT_JWT_SECRET);
});

test('production refuses the development secret', () => {
  assert.throws(() => loadConfig({ NODE_ENV: 'production' }), (err: ConfigError) => err.problems.some((p) => p.startsWith('JWT_SECRET')));
  assert.equal(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'a-real-secret' }).auth.jwtSecret, 'a-real-secret');
});

test('every problem is listed at once', () => {
  assert.throws(
    () => loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' }),
    (err: ConfigError) => err.problems.length === 3 && /PORT/.test(err.message) && /DATABASE_URL/.test(err.message),
  );
});

test('REDIS_CLUSTER_NODES names a cluster instead of REDIS_URL: host:port or URLs, and turns L2 on', () => {
  const config = loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000, redis://10.0.0.2:7001' });
  assert.deepEqual(config.redis.clusterNodes, ['redis://127.0.0.1:7000', 'redis://10.0.0.2:7001']);
  assert.equal(config.cache.mode, 'l1+l2');
  assert.throws(() => loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000', REDIS_URL: 'redis://127.0.0.1:6379' }), /not both/);
  assert.throws(() => loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1, redis-1:7001' }), /"127\.0\.0\.1" is not host:port/);
  assert.throws(() => loadConfig({ REDIS_CLUSTER_NODES: ' , ' }), /names no node/);
});

test('the cache mode follows REDIS_URL unless CACHE says otherwise, and l1+l2 needs Redis', () => {
  assert.equal(loadConfig({}).cache.mode, 'l1');
  assert.equal(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).cache.mode, 'l1+l2');
  assert.equal(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', CACHE: 'off' }).cache.mode, 'off');
  assert.throws(() => loadConfig({ CACHE: 'l1+l2' }), /CACHE=l1\+l2 needs REDIS_URL or REDIS_CLUSTER_NODES/);
  assert.equal(loadConfig({ CACHE_L1_MB: '8' }).cache.l1MaxBytes, 8 * 1024 * 1024);
});
