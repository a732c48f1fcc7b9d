/**
 * Two gateway processes over one Postgres and one Redis (the test's own database and
 * redis-server): once a mutation's response has arrived, the other instance reflects it at
 * once; listeners on the other instance hear it; a write straight into Postgres is picked up
 * within the stated bound; an instance whose bus connection was killed while it missed a
 * message never serves the old value after it reconnects.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import type { TestDatabase } from '../helpers/testDb.js';
import { until } from '../helpers/until.js';
import { onCluster, type TestRedis } from '../helpers/testRedis.js';
import { startDeployment, type GatewayProcess, type TestDeployment } from '../helpers/gatewayProcess.js';
import { dataOf } from '../helpers/gateway.js';

/** OUTBOX_POLL_MS of both instances: the stated bound for writes that bypass the gateway. */
const OUTBOX_POLL_MS = 1000;
let deployment: TestDeployment;
let redis: TestRedis;
let database: TestDatabase;
let a: GatewayProcess;
let b: GatewayProcess;
before(async () => {
  deployment = await startDeployment(2, { OUTBOX_POLL_MS: String(OUTBOX_POLL_MS) });
  ({ redis, database, instances: [a, b] } = deployment);
});
after(async () => {
  await deployment?.stop();
});

const DEBUG = { headers: { 'x-cache-debug': '1' } };

/** Reads `query` on `gw` until it is served without SQL (from the cache), and returns its data. */
async function warm<T = any>(gw: GatewayProcess, query: string, variables?: Record<string, unknown>): Promise<T> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const response = await gw.post(query, variables, DEBUG);
    const data = dataOf(response) as T;
    if (response.body.extensions?.cache?.sqlStatements === 0) return data;
    await new Promise((r) => setTimeout(r, 20)); // let the write-back land
  }
  throw new Error(`never served from the cache: ${query}`);
}

describe('a mutation on one instance is seen by the other at once', () => {
  test('RateMovie: the movie, the user\'s profile and recommendations', async () => {
    const query = '{ recommendations(userId: "7", n: 5) { movie { id } } user(id: "7") { profile { ratingCount } } }';
    const before = await warm(b, query);
    const movieId = before.recommendations[0].movie.id;
    const movieQuery = `{ movie(id: "${movieId}") { ratingCount } }`;
    const movieBefore = await warm(b, movieQuery);
    dataOf(await a.post('mutation ($m: ID!) { rateMovie(userId: "7", movieId: $m, rating: 5) { rating } }', { m: movieId }));
    const after = dataOf(await b.post(query));
    assert.equal(after.user.profile.ratingCount, before.user.profile.ratingCount + 1);
    assert.ok(!after.recommendations.some((r: { movie: { id: string } }) => r.movie.id === movieId), 'a movie the user rated is not recommended back');
    assert.equal(dataOf(await b.post(movieQuery)).movie.ratingCount, movieBefore.movie.ratingCount + 1);
  });

  test('UpdateCandidate: the candidate', async () => {
    const query = '{ candidate(id: "4") { title } topMatches(candidateId: "4", limit: 3) { score } }';
    await warm(b, query);
    dataOf(await a.post('mutation { updateCandidate(id: "4", input: { title: "Retitled on A" }) { id } }'));
    assert.equal(dataOf(await b.post(query)).candidate.title, 'Retitled on A');
  });

  test('UpdateJob: the job', async () => {
    const query = '{ job(id: "5") { title } }';
    await warm(b, query);
    dataOf(await a.post('mutation { updateJob(id: "5", input: { title: "Retitled on A" }) { id } }'));
    assert.equal(dataOf(await b.post(query)).job.title, 'Retitled on A');
  });

  test('UpdateAlgorithmWeights: the weights and the matches scored with them', async () => {
    const query = '{ algorithmWeights(algorithm: GEO_FIRST) { location } match(candidateId: "4", jobId: "5", algorithm: GEO_FIRST) { score } }';
    const before = await warm(b, query);
    const weights = { skills: 0.9, experience: 0.05, location: 0.025, salary: 0.025 };
    dataOf(await a.post('mutation ($w: MatchWeightsInput!) { updateAlgorithmWeights(algorithm: GEO_FIRST, weights: $w) { algorithm } }', { w: weights }));
    const after = dataOf(await b.post(query));
    assert.equal(after.algorithmWeights.location, 0.025);
    assert.notEqual(after.match.score, before.match.score, 'rescored with the new weights');
    assert.equal(after.match.score, dataOf(await a.post(query)).match.score);
  });
});

/** A cacheInvalidated subscription on `gw`; `events` fills as they arrive. */
function listen(gw: GatewayProcess, variables: { typenames?: string[]; ids?: string[] }) {
  const events: Array<{ typename: string; id: string; reason: string; at: string; receivedAt: number }> = [];
  const client: Client = createClient({ url: gw.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, lazy: false });
  client.subscribe(
    { query: 'subscription ($typenames: [String!], $ids: [ID!]) { cacheInvalidated(typenames: $typenames, ids: $ids) { typename id reason at } }', variables },
    {
      next: (result) => void events.push({ ...(result.data as any).cacheInvalidated, receivedAt: Date.now() }),
      error: (err) => assert.fail(`subscription failed: ${JSON.stringify(err)}`),
      complete: () => undefined,
    },
  );
  return { events, close: () => client.dispose() };
}

test('a listener on the other instance hears a mutation within 1 s; one whose filter does not match hears nothing', async () => {
  const subscribersBefore = await b.metric('strata_invalidation_subscribers');
  const matching = listen(b, { typenames: ['Candidate'], ids: ['6'] });
  const other = listen(b, { typenames: ['Candidate'], ids: ['999'] });
  try {
    await until(async () => (await b.metric('strata_invalidation_subscribers')) === subscribersBefore + 2, 'both subscriptions are open');
    dataOf(await a.post('mutation { updateCandidate(id: "6", input: { title: "Heard on B" }) { id } }'));
    const answered = Date.now();
    await until(() => matching.events.length > 0, 'the listener on B hears it', 1000);
    assert.deepEqual(
      matching.events.map(({ typename, id, reason }) => ({ typename, id, reason })),
      [{ typename: 'Candidate', id: '6', reason: 'CandidateUpdated' }],
    );
    console.log(`listener on the other instance heard the mutation ${matching.events[0].receivedAt - answered} ms after its response`);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(other.events.length, 0);
  } finally {
    await Promise.all([matching.close(), other.close()]);
  }
});

test(`a row changed straight in Postgres is fresh on every instance within OUTBOX_POLL_MS (${OUTBOX_POLL_MS} ms), and listeners hear it`, async () => {
  const query = '{ candidate(id: "8") { name } }';
  await Promise.all([warm(a, query), warm(b, query)]);
  const heard = listen(b, { typenames: ['Candidate'], ids: ['8'] });
  try {
    await until(async () => (await b.metric('strata_invalidation_subscribers')) >= 1, 'the subscription is open');
    await database.db.query(`UPDATE candidates SET name = 'Written by psql' WHERE id = 8`);
    const committed = Date.now();
    for (const gw of [a, b]) {
      await until(async () => dataOf(await gw.post(query)).candidate.name === 'Written by psql', 'the new name is served', OUTBOX_POLL_MS + 1000);
    }
    const fresh = Date.now() - committed;
    await until(() => heard.events.length > 0, 'the listener hears it', OUTBOX_POLL_MS + 1000);
    assert.equal(heard.events[0].reason, 'CandidateUpdated');
    console.log(`a write that bypassed the gateway was served fresh on both instances ${fresh} ms after its commit`);
    const { rows } = await database.db.query<{ n: number }>('SELECT count(*)::int AS n FROM change_outbox');
    assert.equal(rows[0].n, 0, 'the outbox is emptied once invalidated');
  } finally {
    await heard.close();
  }
});

test('new geo data (the road model, changed in Postgres): travel times and match scores are recomputed on every instance, and listeners hear GeoDataUpdated', async () => {
  const query = `{
    travelTime(from: {lat: 48.8566, lng: 2.3522}, to: {lat: 45.764, lng: 4.8357}) { minutes distanceKm }
    topMatches(candidateId: "5", limit: 3) { travelMinutes job { id } }
    match(candidateId: "5", jobId: "2") { travelMinutes score }
  }`;
  const [before] = await Promise.all([warm(a, query), warm(b, query)]);
  const heard = listen(b, { typenames: ['TravelTime'] });
  try {
    await until(async () => (await b.metric('strata_invalidation_subscribers')) >= 1, 'the subscription is open');
    // Roads twice as slow everywhere: every trip that goes anywhere takes longer.
    await database.db.query('UPDATE road_model SET city_kmh = city_kmh / 2, regional_kmh = regional_kmh / 2, motorway_kmh = motorway_kmh / 2');
    for (const gw of [a, b]) {
      await until(async () => dataOf(await gw.post(query)).travelTime.minutes > before.travelTime.minutes, 'the new travel time is served', OUTBOX_POLL_MS + 1000);
      const after = dataOf(await gw.post(query));
      assert.equal(after.travelTime.distanceKm, before.travelTime.distanceKm, 'the distance is the same');
      assert.ok(after.match.travelMinutes > before.match.travelMinutes || before.match.travelMinutes === 0, 'the match is scored with the new travel time');
      const minutesOf = (data: any) => new Map<string, number>(data.topMatches.map((m: any) => [m.job.id, m.travelMinutes]));
      for (const [job, minutes] of minutesOf(after)) {
        const old = minutesOf(before).get(job);
        if (old !== undefined && old > 0) assert.ok(minutes > old, `top match ${job} has the new travel time`);
      }
    }
    await until(() => heard.events.length > 0, 'the listener hears it', OUTBOX_POLL_MS + 1000);
    assert.deepEqual([heard.events[0].typename, heard.events[0].id, heard.events[0].reason], ['TravelTime', '*', 'GeoDataUpdated']);
  } finally {
    await database.db.query('UPDATE road_model SET city_kmh = city_kmh * 2, regional_kmh = regional_kmh * 2, motorway_kmh = motorway_kmh * 2');
    await heard.close();
  }
});

test('movies given other genres in Postgres: the profiles of those who rated them show the new favourite genres on every instance', async () => {
  const query = '{ user(id: "12") { name profile { favoriteGenres } } }';
  const before = await Promise.all([warm(a, query), warm(b, query)]);
  // Every movie user 12 liked becomes a Western (and only that): their favourite genre, whatever it was.
  const liked = (await database.db.query<{ id: number; genres: string[] }>(
    'SELECT m.id, m.genres FROM movies m JOIN ratings r ON r.movie_id = m.id WHERE r.user_id = 12 AND r.rating >= 4',
  )).rows;
  assert.ok(liked.length > 0, 'user 12 liked some movies');
  assert.notDeepEqual(before[0].user.profile.favoriteGenres, ['Western'], 'the change is visible');
  try {
    await database.db.query("UPDATE movies SET genres = '{Western}' WHERE id = ANY($1::int[])", [liked.map((m) => m.id)]);
    for (const gw of [a, b]) {
      await until(async () => dataOf(await gw.post(query)).user.profile.favoriteGenres[0] === 'Western', 'the new favourite genre is served', OUTBOX_POLL_MS + 1000);
    }
  } finally {
    for (const movie of liked) await database.db.query('UPDATE movies SET genres = $2 WHERE id = $1', [movie.id, movie.genres]);
  }
});

test('the bus connection of one instance killed while a mutation is published elsewhere: after it reconnects, it never serves the old value', { skip: onCluster && 'kills a connection by CLIENT LIST of one redis-server; test/cluster/cachedGateway.test.ts moves the bus by a failover' }, async () => {
  const query = '{ job(id: "9") { title } }';
  await warm(b, query);
  const subscriptions = await b.metric('strata_bus_subscriptions');
  // Frozen, B cannot reconnect before the message is gone: the kill and the mutation both
  // happen while it is away, deterministically.
  b.freeze();
  try {
    const clients = await redis.client.client('LIST') as string;
    const line = clients.split('\n').find((l) => l.includes(`name=strata-bus-${b.pid} `));
    assert.ok(line, 'B has a named bus connection');
    await redis.client.client('KILL', 'ID', /\bid=(\d+)/.exec(line)![1]);
    dataOf(await a.post('mutation { updateJob(id: "9", input: { title: "Renamed while B was away" }) { id } }'));
  } finally {
    b.thaw();
  }
  await until(async () => (await b.metric('strata_bus_subscriptions')) > subscriptions, 'B is subscribed again');
  assert.equal(dataOf(await b.post(query)).job.title, 'Renamed while B was away');
});
