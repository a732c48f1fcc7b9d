/** Generates and loads the seed, printing progress: what `npm run seed` and a first `npm start` run. */
import { logger } from '../../log.js';
import type { Db } from '../pool.js';
import { generateSeed } from './generate.js';
import { clearSeed, loadSeed } from './load.js';

const log = logger('seed');

/** True when the database holds no seeded data yet. */
export async function isEmpty(db: Db): Promise<boolean> {
  const { rows } = await db.query<{ n: number }>('SELECT (SELECT count(*) FROM movies) + (SELECT count(*) FROM candidates) AS n');
  return rows[0].n === 0;
}

/** Seeds `db` at `scale`; with `reset`, first empties the seeded tables. */
export async function seedDatabase(db: Db, options: { scale: number; reset?: boolean; quiet?: boolean }): Promise<void> {
  const started = Date.now();
  if (options.reset) await clearSeed(db);
  const report = options.quiet ? () => undefined : progressLine();
  log.info('generating', { scale: options.scale });
  const data = generateSeed(options.scale);
  await loadSeed(db, data, report);
  if (!options.quiet) process.stderr.write('\n');
  log.info('seeded', {
    scale: options.scale,
    movies: data.movies.length,
    users: data.users.length,
    ratings: data.ratings.ratings.length,
    candidates: data.candidates.length,
    jobs: data.jobs.length,
    matches: data.matches.scores.length,
    seconds: Math.round((Date.now() - started) / 100) / 10,
  });
}

/** One line rewritten in place on a terminal; a line per table otherwise. */
function progressLine() {
  const tty = process.stderr.isTTY;
  return (table: string, done: number, total: number) => {
    const line = `seed: ${table.padEnd(10)} ${String(done).padStart(7)}/${total}`;
    if (tty) process.stderr.write(`\r${line}   `);
    else if (done === total) process.stderr.write(line + '\n');
  };
}
