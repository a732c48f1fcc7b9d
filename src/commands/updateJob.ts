/** updateJob: a partial update of a job. One transaction. */
import { inTransaction, type Db } from '../db/pool.js';
import { JOB_COLUMNS } from '../db/sources/jobs.js';
import type { JobRow } from '../db/rows.js';
import { BadUserInputError, NotFoundError } from '../errors.js';
import type { DomainEvent } from '../invalidation/events.js';
import { SCORED_JOB_COLUMNS } from '../services/matcher.js';
import * as check from './validate.js';

export interface JobChanges {
  title?: string | null;
  requiredSkills?: readonly string[] | null;
  minYearsExperience?: number | null;
  salaryMin?: number | null;
  salaryMax?: number | null;
  remote?: boolean | null;
  location?: { city: string; lat: number; lng: number } | null;
}

/**
 * Checks every given field — the salary band against the stored one when only one end is
 * given — then writes them all or nothing; emits JobUpdated, saying whether a field the
 * match score reads was given.
 */
export async function updateJob(db: Db, id: number, changes: JobChanges): Promise<{ result: JobRow; events: DomainEvent[] }> {
  check.someField(changes, 'input');
  const columns: Record<string, unknown> = {};
  if (changes.title != null) columns.title = check.text(changes.title, 'input.title');
  if (changes.requiredSkills != null) columns.required_skills = check.skills(changes.requiredSkills, 'input.requiredSkills');
  if (changes.minYearsExperience != null) {
    columns.min_years_experience = check.integer(changes.minYearsExperience, 'input.minYearsExperience', 0, 70);
  }
  if (changes.salaryMin != null) columns.salary_min = check.integer(changes.salaryMin, 'input.salaryMin', 0, check.MAX_SALARY);
  if (changes.salaryMax != null) columns.salary_max = check.integer(changes.salaryMax, 'input.salaryMax', 0, check.MAX_SALARY);
  if (changes.remote != null) columns.remote = changes.remote;
  if (changes.location != null) Object.assign(columns, check.location(changes.location, 'input.location'));

  return inTransaction(db, async (client) => {
    // Lock the row so the salary band is checked against what the update will see.
    const current = await client.query<{ salary_min: number; salary_max: number }>(
      'SELECT salary_min, salary_max FROM jobs WHERE id = $1 FOR UPDATE',
      [id],
    );
    if (current.rows.length === 0) throw new NotFoundError('Job', id);
    const salaryMin = (columns.salary_min as number | undefined) ?? current.rows[0].salary_min;
    const salaryMax = (columns.salary_max as number | undefined) ?? current.rows[0].salary_max;
    if (salaryMax < salaryMin) {
      throw new BadUserInputError(`salaryMax (${salaryMax}) must be at least salaryMin (${salaryMin})`, 'input.salaryMax');
    }
    const names = Object.keys(columns);
    const { rows } = await client.query<JobRow>(
      `UPDATE jobs SET ${names.map((name, i) => `${name} = $${i + 2}`).join(', ')} WHERE id = $1
       RETURNING ${JOB_COLUMNS}`,
      [id, ...names.map((name) => columns[name])],
    );
    const scoring = SCORED_JOB_COLUMNS.some((name) => name in columns);
    return { result: rows[0], events: [{ type: 'JobUpdated', jobId: id, scoring }] };
  });
}
