/** The response tier's rule: an answer is kept only at the versions it was built from, and serves only while they stand. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResponseCache, ResponseTrace } from '../../src/cache/responses.js';
import { TagVersions } from '../../src/cache/versions.js';
import { TagMarks } from '../../src/cache/tagMarks.js';
import { deserialize, serialize, stillCurrent } from '../../src/cache/entry.js';
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

test('an answer found current is checked again after any change to the versions: forgotten, learned anew, cleared, or marked by the bus watcher', () => {
  const marks = new TagMarks();
  const versions = new TagVersions(marks);
  const cache = new ResponseCache(1024 * 1024, versions);
  const store = () => cache.set('k', answer('{}'), built(versions, ['Movie:1']), 60_000);
  store();
  assert.ok(cache.get('k'));
  assert.ok(cache.get('k'), 'served again at the same epoch');
  versions.forget(['Movie:1']); // another instance changed it (the bus)
  assert.equal(cache.get('k'), undefined);

  store();
  assert.ok(cache.get('k'));
  versions.learn('Movie:1', 'a-version-read-from-redis', versions.now());
  assert.equal(cache.get('k'), undefined);

  store();
  assert.ok(cache.get('k'));
  marks.mark(['Movie:1']); // the watcher thread, before the main thread hears the message
  assert.equal(cache.get('k'), undefined);
  marks.handle(['Movie:1']);
  assert.ok(cache.get('k'), 'the mark handled and the version unchanged: current again');

  versions.clear();
  assert.equal(cache.get('k'), undefined);
});

test('the epoch an entry was found current at stays in this process: Redis gets the entry without it', () => {
  const versions = new TagVersions();
  const entry = { value: 1, freshUntil: Date.now() + 1000, staleUntil: Date.now() + 2000, versions: { 'Job:1': versions.adopt('Job:1') } };
  assert.equal(stillCurrent(entry, versions), true);
  const elsewhere = deserialize(serialize(entry))!;
  assert.deepEqual(Object.getOwnPropertySymbols(elsewhere), []);
  const other = new TagVersions();
  assert.equal(stillCurrent(elsewhere, other), false, 'another instance that never saw Job:1 checks it');
});
