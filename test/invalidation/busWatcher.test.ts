/**
 * The bus watcher thread: L1 stops trusting what another instance changed while this
 * instance's main thread is too busy to read the bus, and each message is still handled
 * once. Real Redis; the other instance is a plain PUBLISH of its message.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidationBus } from '../../src/invalidation/bus.js';
import { BUS_CHANNEL, type BusMessage } from '../../src/invalidation/busMessage.js';
import { TagMarks } from '../../src/cache/tagMarks.js';
import { TagVersions } from '../../src/cache/versions.js';
import type { InvalidatedEntity } from '../../src/invalidation/events.js';
import { onCluster, startTestRedis, type TestRedis } from '../helpers/testRedis.js';
import { until } from '../helpers/until.js';

let redis: TestRedis;
/** The other instance here is a plain PUBLISH to one redis-server; on a cluster test/cluster/cachedGateway.test.ts has instances talk. */
const oneRedis = { skip: onCluster && 'publishes to one redis-server as the other instance' };
before(async () => {
  redis = await startTestRedis();
});
after(async () => {
  await redis.stop();
});

/** A bus with a watcher over `marks`, recording what it hands to its instance. */
async function busWithWatcher(marks: TagMarks) {
  const remote: Array<{ tags: string[]; entities: InvalidatedEntity[] }> = [];
  const lags: number[] = [];
  const bus = new InvalidationBus({ url: redis.url }, { remote: (tags, entities) => remote.push({ tags, entities }), resubscribed: () => undefined, missed: () => undefined, withholding: () => undefined, distrusted: (ms) => lags.push(ms) }, { marks, heartbeatMs: 500 });
  assert.ok(await bus.subscribed(10_000), 'the bus subscribes');
  // subscribed() waited for the watcher's subscription too: Redis counts both.
  assert.equal(Number((await redis.client.pubsub('NUMSUB', BUS_CHANNEL))[1]), 2);
  return { bus, remote, lags };
}

function publish(message: Omit<BusMessage, 'startedAt' | 'entities'>) {
  const full: BusMessage = { ...message, startedAt: Date.now(), entities: [{ typename: 'Candidate', id: '3', reason: 'CandidateUpdated', at: new Date().toISOString() }] };
  return redis.client.publish(BUS_CHANNEL, JSON.stringify(full));
}

test('the watcher makes L1 distrust a changed tag while the main thread is blocked, and the message is handled once', oneRedis, async () => {
  const marks = new TagMarks();
  const versions = new TagVersions(marks);
  const { bus, remote, lags } = await busWithWatcher(marks);
  try {
    versions.learn('Candidate:3', 'v1', versions.now());
    versions.learn('Candidate:4', 'v1', versions.now());
    await publish({ id: 'other:1', from: 'other', tags: ['Candidate:3'] });
    // Block this thread: only another thread can make the version unknown meanwhile.
    const blockedUntil = Date.now() + 5000;
    while (versions.get('Candidate:3') !== undefined && Date.now() < blockedUntil);
    assert.equal(versions.get('Candidate:3'), undefined, 'the changed tag is distrusted while the main thread never yielded');
    assert.equal(versions.get('Candidate:4'), 'v1', 'a tag the message did not name is still trusted');
    assert.equal(remote.length, 0, 'the main thread has not handled the message yet');

    // Both copies (the subscription's and the watcher's) arrive; the instance hears of it once.
    await until(() => lags.length === 1, 'both copies of the message arrived');
    assert.deepEqual(remote.map((r) => r.tags), [['Candidate:3']]);
    assert.deepEqual(remote[0].entities.map((e) => `${e.typename}:${e.id}`), ['Candidate:3']);
    assert.ok(lags[0] >= 0 && lags[0] < 5000, `a lag was measured (${lags[0]} ms)`);
    // The mark is handled: the tag reads as this instance's mirror says (the real instance forgets it in remote()).
    assert.equal(versions.get('Candidate:3'), 'v1');
  } finally {
    await bus.close();
  }
});

test("the watcher skips this instance's own messages", oneRedis, async () => {
  const marks = new TagMarks();
  const versions = new TagVersions(marks);
  const { bus, remote } = await busWithWatcher(marks);
  try {
    versions.learn('Job:9', 'v1', versions.now());
    await redis.client.publish(BUS_CHANNEL, bus.message(["Job:9"], [], Date.now()).text());
    await publish({ id: 'other:2', from: 'other', tags: ['Job:10'] });
    await until(() => remote.length === 1, 'the other instance\'s message arrived');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(remote.map((r) => r.tags), [['Job:10']]);
    assert.equal(versions.get('Job:9'), 'v1', 'its own write was versioned here already: nothing to distrust');
  } finally {
    await bus.close();
  }
});

test('marks: a slot counts each message once, and a watcher gone leaves nothing distrusted', () => {
  const reader = new TagMarks();
  const watcher = new TagMarks(reader.buffer);
  watcher.mark(['Movie:1', 'Movie:1', 'User:2']);
  assert.ok(reader.pending('Movie:1') && reader.pending('User:2'));
  assert.ok(!reader.pending('Movie:3'));
  reader.handle(['Movie:1', 'Movie:1', 'User:2']);
  assert.ok(!reader.pending('Movie:1') && !reader.pending('User:2'), 'handled once, as marked once');

  watcher.mark(['Movie:1']);
  watcher.mark(['Movie:1']);
  reader.handle(['Movie:1']);
  assert.ok(reader.pending('Movie:1'), 'one of two messages handled: still pending');
  reader.release();
  assert.ok(!reader.pending('Movie:1'), 'released: the main thread\'s own subscription carries the rest');
});
