import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SchemaCachePolicy } from '../../src/cache/policy.js';
import { createKeys, schemaVersion } from '../../src/cache/keys.js';
import { buildSchema, readTypeDefs } from '../../src/server/schema.js';

const policy = new SchemaCachePolicy(buildSchema());

test('types and fields get the schema\'s TTLs, in milliseconds', () => {
  assert.deepEqual(policy.forType('Movie'), { maxAgeSeconds: 86400, ttlMs: 86_400_000, scope: 'PUBLIC' });
  assert.equal(policy.forField('Query.recommendations').ttlMs, 3_600_000);
  assert.equal(policy.forField('User.profile').ttlMs, 1_800_000);
});

test('a field without its own maxAge takes its object type\'s', () => {
  assert.equal(policy.forField('Query.candidate').ttlMs, policy.forType('Candidate').ttlMs);
  assert.equal(policy.forField('Job.company').ttlMs, 604_800_000);
});

test('inheritMaxAge takes the parent type\'s maxAge, not the returned type\'s', () => {
  assert.equal(policy.forField('Match.job').ttlMs, policy.forType('Match').ttlMs);
  assert.notEqual(policy.forType('Job').ttlMs, policy.forType('Match').ttlMs);
});

test('PRIVATE fields are PRIVATE; unknown coordinates are not cacheable', () => {
  assert.equal(policy.forField('Query.me').scope, 'PRIVATE');
  assert.equal(policy.forField('User.email').scope, 'PRIVATE');
  assert.equal(policy.forField('Query.nothing').ttlMs, 0);
  assert.equal(policy.forField('Mutation.rateMovie').ttlMs, 0);
});

test('a cached coordinate without a maxAge fails loudly, naming it', () => {
  assert.doesNotThrow(() => policy.assertCacheable(['Movie', 'Query.recommendations']));
  assert.throws(() => policy.assertCacheable(['Movie', 'Rating', 'Mutation.rateMovie']), /Rating, Mutation\.rateMovie/);
});

test('keys follow the seeds\' scheme under a prefix that changes with the schema', () => {
  const keys = createKeys('abc');
  assert.equal(keys.movieMetadata(42), 'strata:abc:movie:metadata:42');
  assert.equal(keys.candidateProfile(3), 'strata:abc:profile:candidate:3');
  const version = schemaVersion(readTypeDefs());
  assert.match(version, /^[0-9a-f]{12}$/);
  assert.notEqual(schemaVersion([...readTypeDefs(), 'type Extra { x: Int }']), version);
});
