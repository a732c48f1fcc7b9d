/**
 * Faults (issue 7, test 6): a mutation whose commit fails publishes nothing and invalidates
 * nothing. A deferred constraint trigger of the test's own makes Postgres refuse the commit
 * (after the statement ran), on a gateway process over the test's own database and
 * redis-server. Counted: bus messages (0), tag versions changed in Redis (0), and the cached
 * answer, which is still served, still from the response tier, and still true.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startDeployment, type GatewayProcess, type TestDeployment } from '../helpers/gatewayProcess.js';
import { codesOf, dataOf } from '../helpers/gateway.js';
import { BUS_CHANNEL, parseBusMessage } from '../../src/invalidation/busMessage.js';

let deployment: TestDeployment;
let gw: GatewayProcess;
before(async () => {
  deployment = await startDeployment(1);
  gw = deployment.instances[0];
});
after(async () => {
  await deployment?.stop();
});

/** Every key of the test's own redis-server with its value (strings and hashes: entries, versions). */
async function redisState(client: Redis): Promise<Map<string, string>> {
  const state = new Map<string, string>();
  for (const key of await client.keys('*')) {
    const type = await client.type(key);
    if (type === 'string') state.set(key, (await client.get(key))!);
    else if (type === 'hash') state.set(key, JSON.stringify(await client.hgetall(key)));
  }
  return state;
}

test('a mutation whose commit fails publishes nothing and invalidates nothing', async () => {
  const { database, redis } = deployment;
  const query = '{ candidate(id: "7") { id title } }';
  const before = dataOf(await gw.post(query)).candidate.title as string;
  const tierHits = () => gw.metric('cache_hits_total{level="response",type="other"}');

  // Refused at COMMIT: the UPDATE runs, its row changes, then the transaction is rolled back.
  await database.db.query(`
    CREATE FUNCTION refuse_commit() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'commit refused by the test'; END $$ LANGUAGE plpgsql;
    CREATE CONSTRAINT TRIGGER refuse_commit AFTER UPDATE ON candidates
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.title = 'never committed') EXECUTE FUNCTION refuse_commit();
  `);
  const heard: string[] = [];
  const listener = new Redis(redis.url);
  await listener.subscribe(BUS_CHANNEL);
  // Invalidations only: heartbeats come every BUS_HEARTBEAT_MS whatever happens.
  listener.on('message', (_channel, message) => !parseBusMessage(message)?.heartbeat && heard.push(message));
  try {
    await gw.post(query); // stored by the response tier now, if it was not yet
    const redisBefore = await redisState(redis.client);
    const hitsBefore = await tierHits();

    const failed = await gw.post('mutation { updateCandidate(id: "7", input: { title: "never committed" }) { id title } }');
    assert.equal(codesOf(failed).length, 1, 'one error, with a code');
    assert.ok(failed.body.data === null || failed.body.data?.updateCandidate === null || failed.body.data === undefined);

    // The bus would have spoken within a round trip; leave it a generous one.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(heard.length, 0, 'no bus message');
    const redisAfter = await redisState(redis.client);
    const changed = [...redisBefore].filter(([key, value]) => redisAfter.get(key) !== value).map(([key]) => key);
    assert.deepEqual(changed, [], 'no key of Redis changed');

    const again = await gw.post(query);
    assert.equal(dataOf(again).candidate.title, before);
    assert.equal(await tierHits(), hitsBefore + 1, 'the stored answer still stands');
    const row = await database.db.query<{ title: string }>('SELECT title FROM candidates WHERE id = 7');
    assert.equal(row.rows[0].title, before);

    // A write that commits, on the same row, then publishes and invalidates as usual.
    dataOf(await gw.post('mutation { updateCandidate(id: "7", input: { title: "committed" }) { id } }'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(heard.length, 1, 'one bus message for the write that committed');
    const redisLater = await redisState(redis.client);
    assert.ok([...redisAfter].some(([key, value]) => redisLater.get(key) !== value), 'and its new versions in Redis');
    assert.equal(dataOf(await gw.post(query)).candidate.title, 'committed');
  } finally {
    await listener.quit();
    await database.db.query('DROP TRIGGER refuse_commit ON candidates; DROP FUNCTION refuse_commit()');
  }
});
