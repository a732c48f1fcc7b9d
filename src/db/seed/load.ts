/**
 * Writes generated seed data into an empty, migrated database: multi-row inserts from
 * arrays (`INSERT … SELECT FROM unnest(…)`), in chunks, with a progress line; then the
 * materialized views are refreshed and the tables analysed.
 */
import type { Db } from '../pool.js';
import { inTransaction } from '../pool.js';
import type { SeedData } from './generate.js';
import type pg from 'pg';

const CHUNK = 50_000;

export type Progress = (table: string, done: number, total: number) => void;

/** Inserts `data`; throws if the database already holds movies or candidates. */
export async function loadSeed(db: Db, data: SeedData, progress: Progress = () => undefined): Promise<void> {
  await inTransaction(db, async (client) => {
    const existing = await client.query<{ n: number }>(
      'SELECT (SELECT count(*) FROM movies) + (SELECT count(*) FROM candidates) AS n',
    );
    if (existing.rows[0].n > 0) throw new Error('the database already holds data; run `npm run seed -- --reset` to replace it');

    await insertColumns(client, 'companies', ['id', 'name', 'sector'], ['int', 'text', 'text'],
      [data.companies.map((c) => c.id), data.companies.map((c) => c.name), data.companies.map((c) => c.sector)], progress);
    const cand = data.candidates;
    await insertColumns(client, 'candidates',
      ['id', 'name', 'title', 'skills', 'years_experience', 'sector', 'salary_expectation', 'city', 'lat', 'lng'],
      ['int', 'text', 'text', 'text', 'int', 'text', 'int', 'text', 'float8', 'float8'],
      [cand.map((c) => c.id), cand.map((c) => c.name), cand.map((c) => c.title), cand.map((c) => toPgArray(c.skills)),
        cand.map((c) => c.yearsExperience), cand.map((c) => c.sector), cand.map((c) => c.salaryExpectation),
        cand.map((c) => c.city), cand.map((c) => c.lat), cand.map((c) => c.lng)], progress,
      { skills: 'text[]' });
    const jobs = data.jobs;
    await insertColumns(client, 'jobs',
      ['id', 'company_id', 'title', 'sector', 'required_skills', 'min_years_experience', 'remote', 'salary_min', 'salary_max', 'city', 'lat', 'lng'],
      ['int', 'int', 'text', 'text', 'text', 'int', 'bool', 'int', 'int', 'text', 'float8', 'float8'],
      [jobs.map((j) => j.id), jobs.map((j) => j.companyId), jobs.map((j) => j.title), jobs.map((j) => j.sector),
        jobs.map((j) => toPgArray(j.requiredSkills)), jobs.map((j) => j.minYearsExperience), jobs.map((j) => j.remote),
        jobs.map((j) => j.salaryMin), jobs.map((j) => j.salaryMax), jobs.map((j) => j.city), jobs.map((j) => j.lat),
        jobs.map((j) => j.lng)], progress, { required_skills: 'text[]' });
    const m = data.matches;
    await insertColumns(client, 'matches', ['candidate_id', 'job_id', 'algorithm', 'score', 'computed_at'],
      ['int', 'int', 'text', 'real', 'int'],
      [Array.from(m.candidateIds), Array.from(m.jobIds), m.algorithms, Array.from(m.scores), Array.from(m.ageSeconds)], progress,
      { computed_at: 'age' });
    await insertColumns(client, 'movies', ['id', 'title', 'year', 'genres'], ['int', 'text', 'int', 'text'],
      [data.movies.map((x) => x.id), data.movies.map((x) => x.title), data.movies.map((x) => x.year),
        data.movies.map((x) => toPgArray(x.genres))], progress, { genres: 'text[]' });
    await insertColumns(client, 'users', ['id', 'name', 'email', 'is_power_user'], ['int', 'text', 'text', 'bool'],
      [data.users.map((u) => u.id), data.users.map((u) => u.name), data.users.map((u) => u.email),
        data.users.map((u) => u.isPowerUser)], progress);
    const r = data.ratings;
    await insertColumns(client, 'ratings', ['user_id', 'movie_id', 'rating', 'rated_at'], ['int', 'int', 'numeric', 'int'],
      [Array.from(r.userIds), Array.from(r.movieIds), Array.from(r.ratings), Array.from(r.ageSeconds)], progress,
      { rated_at: 'age' });

    // Explicit ids were inserted: move each serial past them so later inserts do not collide.
    for (const table of ['companies', 'candidates', 'jobs', 'movies', 'users']) {
      await client.query(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), (SELECT max(id) FROM ${table}))`);
    }
  }, 'seed');
  progress('views', 0, 3);
  // Plain refreshes: the views are empty and nobody reads them yet.
  await db.query('REFRESH MATERIALIZED VIEW mv_matching_stats');
  await db.query('REFRESH MATERIALIZED VIEW movie_stats');
  progress('views', 2, 3);
  await db.query('REFRESH MATERIALIZED VIEW top_movies_by_genre');
  progress('views', 3, 3);
  await db.query('ANALYZE');
}

/** Empties every seeded table (for `--reset`). */
export async function clearSeed(db: Db): Promise<void> {
  await db.query('TRUNCATE ratings, matches, users, movies, jobs, candidates, companies RESTART IDENTITY CASCADE');
}

/**
 * Inserts columns in chunks. `types` are the element types of the unnest arrays; `special`
 * converts a column on the way in: `text[]` parses a Postgres array literal (unnest cannot
 * yield arrays of arrays), `age` turns seconds-before-now into a timestamp.
 */
async function insertColumns(
  client: pg.PoolClient,
  table: string,
  columns: string[],
  types: string[],
  values: unknown[][],
  progress: Progress,
  special: Record<string, 'text[]' | 'age'> = {},
): Promise<void> {
  const total = values[0].length;
  const params = columns.map((_, i) => `$${i + 1}::${types[i]}[]`).join(', ');
  const selected = columns
    .map((column, i) => {
      const alias = `c${i}`;
      if (special[column] === 'text[]') return `${alias}::text[]`;
      if (special[column] === 'age') return `now() - make_interval(secs => ${alias})`;
      return alias;
    })
    .join(', ');
  const aliases = columns.map((_, i) => `c${i}`).join(', ');
  for (let start = 0; start < total; start += CHUNK) {
    const chunk = values.map((column) => column.slice(start, start + CHUNK));
    await client.query(
      `INSERT INTO ${table} (${columns.join(', ')}) SELECT ${selected} FROM unnest(${params}) AS t (${aliases})`,
      chunk,
    );
    progress(table, Math.min(total, start + CHUNK), total);
  }
}

/** A Postgres array literal of strings: {"a","b \"c\""}. */
function toPgArray(items: readonly string[]): string {
  return `{${items.map((s) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}
