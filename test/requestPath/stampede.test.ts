/** Single flight and PRIVATE data under concurrency, against a real Postgres (L1 only). */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, dataOf, type TestGateway } from '../helpers/gateway.js';
import { holdFirstAnswer, tapStatements, type StatementTap } from '../helpers/statements.js';

let gw: TestGateway;
let tap: StatementTap;
before(async () => {
  gw = await startTestGateway();
  tap = tapStatements(gw.gateway.services.db);
});
after(async () => {
  tap.remove();
  await gw.stop();
});

const movieLoads = () => tap.statements.filter((sql) => /FROM movies m/.test(sql)).length;

test('1,000 concurrent requests that miss one key load it once', async () => {
  gw.gateway.services.cache.l1!.clear();
  tap.reset();
  const answers = await Promise.all(Array.from({ length: 1000 }, () => gw.post('{ movie(id: "77") { id title ratingCount } }')));
  for (const answer of answers) assert.deepEqual(answer.body, answers[0].body);
  assert.equal(dataOf(answers[0]).movie.id, '77');
  assert.equal(movieLoads(), 1);
});

test('with CACHE=off, nothing is shared: the same burst loads once per request', async () => {
  const off = await startTestGateway({ env: { CACHE: 'off' } });
  const offTap = tapStatements(off.gateway.services.db);
  try {
    await Promise.all(Array.from({ length: 20 }, () => off.post('{ movie(id: "77") { id } }')));
    assert.equal(offTap.statements.filter((sql) => /FROM movies m/.test(sql)).length, 20);
  } finally {
    offTap.remove();
    await off.stop();
  }
});

test('a load that began before a write is neither joined after it nor written back', async () => {
  gw.gateway.services.cache.l1!.clear();
  // The early request's statement runs for real and reads the old row; its answer is held
  // back until after the write, so its load is still in flight when the late request starts.
  const held = holdFirstAnswer(gw.gateway.services.db, 'FROM candidates WHERE id = ANY');
  try {
    const early = gw.post('{ candidate(id: "31") { title } }');
    await held.read;
    dataOf(await gw.post('mutation { updateCandidate(id: "31", input: { title: "After the write" }) { id } }'));
    const late = await gw.post('{ candidate(id: "31") { title } }');
    assert.equal(dataOf(late).candidate.title, 'After the write');
    held.release();
    assert.notEqual(dataOf(await early).candidate.title, 'After the write', 'the early request read the old row');
    // …and must not have written that old row back into the cache after the write.
    await new Promise((r) => setTimeout(r, 20));
    const afterwards = await gw.post('{ candidate(id: "31") { title } }');
    assert.equal(dataOf(afterwards).candidate.title, 'After the write', 'a stale write-back was left behind');
  } finally {
    held.remove();
  }
});

test('PRIVATE: two callers, interleaved and concurrent, each see only their own email', async () => {
  const query = '{ me { id email } other: user(id: "21") { id email } }';
  const rounds = await Promise.all(
    Array.from({ length: 50 }, (_, i) => gw.post(query, {}, { userId: i % 2 === 0 ? 21 : 22 })),
  );
  for (const [i, response] of rounds.entries()) {
    const { me, other } = dataOf(response);
    const caller = i % 2 === 0 ? 21 : 22;
    assert.equal(me.id, String(caller));
    assert.match(me.email, new RegExp(`\\.${caller}@example\\.com$`));
    assert.equal(other.email, caller === 21 ? me.email : null, 'user 21\'s email only to user 21');
    assert.match(response.headers.get('cache-control') ?? '', /private/);
  }
});
