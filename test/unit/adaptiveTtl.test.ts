import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdaptiveTtl } from '../../src/cache/adaptiveTtl.js';

const HOUR = 3_600_000;

function clock() {
  let now = 1_000_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

test('a key never read here gets its hint', () => {
  assert.equal(new AdaptiveTtl().ttlFor('k', 60_000), 60_000);
});

test('more than 100 reads within the hour: twice the hint, while reads go on', () => {
  const time = clock();
  const ttl = new AdaptiveTtl(time.now);
  for (let i = 0; i < 101; i++) ttl.touch('hot');
  assert.equal(ttl.ttlFor('hot', 60_000), 120_000);
  time.advance(HOUR + 1);
  assert.equal(ttl.ttlFor('hot', 60_000), 60_000, 'an hour without reads: back to the hint');
});

test('exactly 100 reads is not hot', () => {
  const ttl = new AdaptiveTtl();
  for (let i = 0; i < 100; i++) ttl.touch('k');
  assert.equal(ttl.ttlFor('k', 60_000), 60_000);
});

test('fewer than 10 reads and none for two hours: half the hint', () => {
  const time = clock();
  const ttl = new AdaptiveTtl(time.now);
  for (let i = 0; i < 9; i++) ttl.touch('cold');
  assert.equal(ttl.ttlFor('cold', 60_000), 60_000, 'read just now: the hint');
  time.advance(2 * HOUR + 1);
  assert.equal(ttl.ttlFor('cold', 60_000), 30_000);
});

test('the read count restarts every hour', () => {
  const time = clock();
  const ttl = new AdaptiveTtl(time.now);
  for (let i = 0; i < 90; i++) ttl.touch('k');
  time.advance(HOUR + 1);
  for (let i = 0; i < 20; i++) ttl.touch('k');
  assert.equal(ttl.ttlFor('k', 60_000), 60_000, '20 reads this hour, not 110');
});
