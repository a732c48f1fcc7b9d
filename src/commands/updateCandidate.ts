/** updateCandidate: a partial update of a candidate's profile. One statement. */
import { AS_GATEWAY, type Db } from '../db/pool.js';
import { CANDIDATE_COLUMNS } from '../db/sources/jobs.js';
import type { CandidateRow } from '../db/rows.js';
import { NotFoundError } from '../errors.js';
import type { DomainEvent } from '../invalidation/events.js';
import { SCORED_CANDIDATE_COLUMNS } from '../services/matcher.js';
import * as check from './validate.js';

export interface CandidateChanges {
  name?: string | null;
  title?: string | null;
  skills?: readonly string[] | null;
  yearsExperience?: number | null;
  salaryExpectation?: number | null;
  location?: { city: string; lat: number; lng: number } | null;
}

/**
 * Checks every given field, then writes them all or nothing; emits CandidateUpdated, saying
 * whether a field the match score reads was given (a new title or name leaves matches be).
 */
export async function updateCandidate(
  db: Db,
  id: number,
  changes: CandidateChanges,
): Promise<{ result: CandidateRow; events: DomainEvent[] }> {
  check.someField(changes, 'input');
  const columns: Record<string, unknown> = {};
  if (changes.name != null) columns.name = check.text(changes.name, 'input.name');
  if (changes.title != null) columns.title = check.text(changes.title, 'input.title');
  if (changes.skills != null) columns.skills = check.skills(changes.skills, 'input.skills');
  if (changes.yearsExperience != null) columns.years_experience = check.integer(changes.yearsExperience, 'input.yearsExperience', 0, 70);
  if (changes.salaryExpectation != null) {
    columns.salary_expectation = check.integer(changes.salaryExpectation, 'input.salaryExpectation', 0, check.MAX_SALARY);
  }
  if (changes.location != null) Object.assign(columns, check.location(changes.location, 'input.location'));

  const names = Object.keys(columns);
  const { rows } = await db.query<CandidateRow>(
    `WITH ${AS_GATEWAY}
     UPDATE candidates SET ${names.map((name, i) => `${name} = $${i + 2}`).join(', ')} FROM writer WHERE id = $1
     RETURNING ${CANDIDATE_COLUMNS}`,
    [id, ...names.map((name) => columns[name])],
  );
  if (rows.length === 0) throw new NotFoundError('Candidate', id);
  const scoring = SCORED_CANDIDATE_COLUMNS.some((name) => name in columns);
  return { result: rows[0], events: [{ type: 'CandidateUpdated', candidateId: id, scoring }] };
}
