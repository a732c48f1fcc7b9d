/** The response tier's rule: an answer is kept only at the versions it was built from, and serves only while they stand. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResponseCache, ResponseTrace } from '../../src/cache/responses.js';
import { TagVersions } from '../../src/cache/versions.js';
import { canonicalJson } from '../../src/server/responseTier.js';

const answer = (body: string) => ({ body, headers: { 'content-type': 'application/json' }, etag: '"x"', storedAt: Date.now() });

function built(versions: TagVersions, tags: string[]): ResponseTrace {
  const trace = new ResponseTrace();
  trace.traced = true;
  trace.record(Object.fromEntries(tags.map((tag) => [tag, versions.adopt(tag)])));
  return trace;
}

test('an answer serves until a tag it was built from changes', () => {
  const versions = new TagVersions();
  const cache = new ResponseCache(1024 * 1024, versions);
  cache.set('k', answer('{"data":1}'), built(versions, ['Movie:1', 'Movie:2']), 60_000);
  assert.equal(cache.get('k')?.body, '{"data":1}');
  versions.bump(['Movie:2']);
  assert.equal(cache.get('k'), undefined);
});

test('an answer whose tag changed while it was built is not kept', () => {
  const versions = new TagVersions();
  const cache = new ResponseCache(1024 * 1024, versions);
  const trace = built(versions, ['Job:3']);
  versions.bump(['Job:3']); // a write lands before the answer is stored
  cache.set('k', answer('{}'), trace, 60_000);
  assert.equal(cache.get('k'), undefined);
});

test('an answer whose entries disagree on a version is not kept', () => {
  const versions = new TagVersions();
  const cache = new ResponseCache(1024 * 1024, versions);
  const trace = built(versions, ['User:7']);
  trace.record({ 'User:7': 'an-older-version' });
  assert.equal(trace.conflict, true);
  cache.set('k', answer('{}'), trace, 60_000);
  assert.equal(cache.get('k'), undefined);
});

test('an answer of an operation that was not traced, or with no maxAge, is not kept', () => {
  const versions = new TagVersions();
  const cache = new ResponseCache(1024 * 1024, versions);
  const untraced = built(versions, ['Movie:1']);
  untraced.traced = false;
  cache.set('a', answer('{}'), untraced, 60_000);
  cache.set('b', answer('{}'), built(versions, ['Movie:1']), 0);
  assert.equal(cache.get('a'), undefined);
  assert.equal(cache.get('b'), undefined);
});

test('an answer serves only for its maxAge', () => {
  const versions = new TagVersions();
  const cache = new ResponseCache(1024 * 1024, versions);
  cache.set('k', answer('{}'), built(versions, ['Movie:1']), 1000);
  assert.ok(cache.get('k', Date.now() + 500));
  assert.equal(cache.get('k', Date.now() + 1500), undefined);
});

test('variables in any key order make one key', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } }), canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }));
  assert.notEqual(canonicalJson({ a: [1, 2] }), canonicalJson({ a: [2, 1] }));
});
