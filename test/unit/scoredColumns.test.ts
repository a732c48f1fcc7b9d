/**
 * The columns that count as scored (a write giving none of them keeps every match and ranking,
 * invalidation/rules.ts) are exactly the ones the match score reads: each one changes a
 * candidate's or job's profile for scoring, and no other column does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { SCORED_CANDIDATE_COLUMNS, SCORED_JOB_COLUMNS, candidateProfile, jobProfile } from '../../src/services/matcher.js';
import type { CandidateRow, JobRow } from '../../src/db/rows.js';

/** The columns of `row` whose change, alone, changes `profile(row)`. */
function columnsRead<R extends object>(row: R, other: R, profile: (row: R) => unknown): string[] {
  return Object.keys(row).filter((column) => !isDeepStrictEqual(profile(row), profile({ ...row, [column]: other[column as keyof R] })));
}

test('a candidate: the scored columns are those its scoring profile reads', () => {
  const row: CandidateRow = { id: 1, name: 'A', title: 'T', skills: ['x'], years_experience: 3, sector: 'S', salary_expectation: 1000, city: 'C', lat: 1, lng: 2 };
  const other: CandidateRow = { id: 2, name: 'B', title: 'U', skills: ['y'], years_experience: 4, sector: 'R', salary_expectation: 2000, city: 'D', lat: 3, lng: 4 };
  assert.deepEqual(columnsRead(row, other, candidateProfile).sort(), [...SCORED_CANDIDATE_COLUMNS].sort());
});

test('a job: the scored columns are those its scoring profile reads', () => {
  const row: JobRow = { id: 1, company_id: 1, title: 'T', sector: 'S', required_skills: ['x'], min_years_experience: 2, remote: false, salary_min: 10, salary_max: 20, city: 'C', lat: 1, lng: 2 };
  const other: JobRow = { id: 2, company_id: 2, title: 'U', sector: 'R', required_skills: ['y'], min_years_experience: 3, remote: true, salary_min: 11, salary_max: 21, city: 'D', lat: 3, lng: 4 };
  assert.deepEqual(columnsRead(row, other, jobProfile).sort(), [...SCORED_JOB_COLUMNS].sort());
});
