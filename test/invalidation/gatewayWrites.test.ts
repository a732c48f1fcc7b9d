/**
 * The gateway's own writes are not recorded in the change outbox (it invalidates what they
 * change before it answers), whether a command is one statement (AS_GATEWAY) or a
 * transaction (inTransaction); the same write from elsewhere is. No gateway runs here, so no
 * outbox reader empties the table while it is counted.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '../helpers/testDb.js';
import { rateMovie } from '../../src/commands/rateMovie.js';
import { updateCandidate } from '../../src/commands/updateCandidate.js';
import { updateJob } from '../../src/commands/updateJob.js';

let database: TestDatabase;
before(async () => {
  database = await createTestDatabase({ scale: 0.01 });
});
after(async () => {
  await database?.drop();
});

const recorded = async () => (await database.db.query<{ n: number }>('SELECT count(*)::int AS n FROM change_outbox')).rows[0].n;

test("the gateway's writes are not recorded; a write from elsewhere is", async () => {
  await database.db.query('DELETE FROM ratings WHERE user_id = 2 AND movie_id = 3');
  await database.db.query('DELETE FROM change_outbox');
  const first = await rateMovie(database.db, { userId: 2, movieId: 3, rating: 4 });
  const again = await rateMovie(database.db, { userId: 2, movieId: 3, rating: 2.5 });
  assert.equal(first.events[0].type, 'RatingCreated');
  assert.equal(again.events[0].type, 'RatingUpdated');
  assert.equal(again.result.rating, 2.5);
  await updateCandidate(database.db, 4, { title: 'Written by the gateway' });
  await updateJob(database.db, 5, { title: 'Written by the gateway' });
  assert.equal(await recorded(), 0);

  await database.db.query("UPDATE candidates SET title = 'Written by psql' WHERE id = 4");
  assert.equal(await recorded(), 1);
});

test("a rating reports the movie's count with the new rating in it, and refuses unknown ids whole", async () => {
  const count = async (movieId: number) => (await database.db.query<{ n: number }>('SELECT count(*)::int AS n FROM ratings WHERE movie_id = $1', [movieId])).rows[0].n;
  await database.db.query('DELETE FROM ratings WHERE user_id = 7 AND movie_id = 6');
  const before = await count(6);
  const { events } = await rateMovie(database.db, { userId: 7, movieId: 6, rating: 3 });
  assert.equal((events[0] as { movieRatingCount: number }).movieRatingCount, before + 1);
  assert.equal(await count(6), before + 1);
  await assert.rejects(rateMovie(database.db, { userId: 999_999, movieId: 6, rating: 3 }), /User/);
  await assert.rejects(rateMovie(database.db, { userId: 7, movieId: 999_999, rating: 3 }), /Movie/);
  assert.equal(await count(6), before + 1);
});
