/** Candidates, jobs, companies and algorithm weights. */
import type { Db } from '../pool.js';
import type { AlgorithmWeightsRow, CandidateRow, CompanyRow, JobRow } from '../rows.js';
import { inOrder } from './inOrder.js';

/** What a candidate's row is read as (a write returns the same, to be stored as its entry). */
export const CANDIDATE_COLUMNS = 'id, name, title, skills, years_experience, sector, salary_expectation, city, lat, lng';
/** What a job's row is read as (a write returns the same, to be stored as its entry). */
export const JOB_COLUMNS =
  'id, company_id, title, sector, required_skills, min_years_experience, remote, salary_min, salary_max, city, lat, lng';

export async function candidatesByIds(db: Db, ids: readonly number[]): Promise<Array<CandidateRow | undefined>> {
  const { rows } = await db.query<CandidateRow>(`SELECT ${CANDIDATE_COLUMNS} FROM candidates WHERE id = ANY($1::int[])`, [ids]);
  return inOrder(ids, rows, (row) => row.id);
}

export async function jobsByIds(db: Db, ids: readonly number[]): Promise<Array<JobRow | undefined>> {
  const { rows } = await db.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = ANY($1::int[])`, [ids]);
  return inOrder(ids, rows, (row) => row.id);
}

export async function companiesByIds(db: Db, ids: readonly number[]): Promise<Array<CompanyRow | undefined>> {
  const { rows } = await db.query<CompanyRow>('SELECT id, name, sector FROM companies WHERE id = ANY($1::int[])', [ids]);
  return inOrder(ids, rows, (row) => row.id);
}

/** The first `limit` jobs by id, optionally of one sector. */
export async function jobsList(db: Db, sector: string | null, limit: number): Promise<JobRow[]> {
  const { rows } = await db.query<JobRow>(
    `SELECT ${JOB_COLUMNS} FROM jobs WHERE ($1::text IS NULL OR sector = $1) ORDER BY id LIMIT $2`,
    [sector, limit],
  );
  return rows;
}

/** The distinct sectors of companies, sorted. */
export async function allSectors(db: Db): Promise<string[]> {
  const { rows } = await db.query<{ sector: string }>('SELECT DISTINCT sector FROM companies ORDER BY 1');
  return rows.map((r) => r.sector);
}

export async function algorithmWeights(db: Db): Promise<AlgorithmWeightsRow[]> {
  const { rows } = await db.query<AlgorithmWeightsRow>(
    'SELECT algorithm, skills, experience, location, salary FROM algorithm_weights ORDER BY algorithm',
  );
  return rows;
}

/**
 * Jobs and candidates changed at or after `since` (by updated_at, which a trigger keeps even
 * for writes that bypass the gateway), with the server's clock to ask from next time.
 */
export async function profilesChangedSince(
  db: Db,
  since: Date | null,
): Promise<{ jobs: JobRow[]; candidates: CandidateRow[]; serverTime: Date }> {
  const { rows } = await db.query<{ jobs: JobRow[] | null; candidates: CandidateRow[] | null; server_time: Date }>(
    `SELECT (SELECT json_agg(j) FROM (SELECT ${JOB_COLUMNS} FROM jobs WHERE $1::timestamptz IS NULL OR updated_at >= $1) j) AS jobs,
            (SELECT json_agg(c) FROM (SELECT ${CANDIDATE_COLUMNS} FROM candidates WHERE $1::timestamptz IS NULL OR updated_at >= $1) c) AS candidates,
            clock_timestamp() AS server_time`,
    [since],
  );
  return { jobs: rows[0].jobs ?? [], candidates: rows[0].candidates ?? [], serverTime: rows[0].server_time };
}
