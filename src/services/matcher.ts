/**
 * Ranks jobs for candidates and candidates for jobs over a MatchingIndex kept in step with
 * Postgres: before each ranking it reads the rows whose updated_at moved since its last
 * read (one indexed statement, usually empty), so an update — through the gateway or
 * straight into the table — is ranked from the next call on.
 */
import { MatchingIndex, type RankedMatch } from '../engine/ranking.js';
import type { CandidateProfile, JobProfile, MatchWeights } from '../engine/matching.js';
import type { RoadModel } from '../engine/geo.js';
import { profilesChangedSince } from '../db/sources/jobs.js';
import type { Db } from '../db/pool.js';
import type { CandidateRow, JobRow } from '../db/rows.js';
import { logger } from '../log.js';

const log = logger('services.matcher');
/**
 * How far back each read reaches before the last one. updated_at is stamped when a
 * transaction writes, not when it commits, so a transaction that commits after our read
 * may carry an earlier stamp; re-reading a few seconds heals that, and upserts are idempotent.
 */
const COMMIT_LAG_MS = 5000;

export class Matcher {
  private readonly index = new MatchingIndex();
  // The rows as of the last read, so a ranking uses the same version of its subject as of the
  // rows it ranks (the request's loaders may serve a cached one).
  private readonly jobs = new Map<number, JobRow>();
  private readonly candidates = new Map<number, CandidateRow>();
  private readFrom: Date | null = null;
  private syncing: Promise<void> | null = null;

  constructor(private readonly db: Db) {}

  /** The `limit` jobs that fit candidate `candidateId` best, best first; undefined when there is no such candidate. */
  async topJobsFor(candidateId: number, weights: MatchWeights, limit: number, roads: RoadModel): Promise<RankedMatch[] | undefined> {
    await this.sync();
    const candidate = this.candidates.get(candidateId);
    return candidate && this.index.topJobsFor(candidateProfile(candidate), weights, limit, roads);
  }

  /** The `limit` candidates that fit job `jobId` best, best first; undefined when there is no such job. */
  async topCandidatesFor(jobId: number, weights: MatchWeights, limit: number, roads: RoadModel): Promise<RankedMatch[] | undefined> {
    await this.sync();
    const job = this.jobs.get(jobId);
    return job && this.index.topCandidatesFor(jobProfile(job), weights, limit, roads);
  }

  /** Brings the index up to date; concurrent callers share one read. */
  private sync(): Promise<void> {
    this.syncing ??= this.readChanges().finally(() => (this.syncing = null));
    return this.syncing;
  }

  private async readChanges(): Promise<void> {
    const first = this.readFrom === null;
    const { jobs, candidates, serverTime } = await profilesChangedSince(this.db, this.readFrom);
    for (const job of jobs) {
      this.jobs.set(job.id, job);
      this.index.upsertJob(job.id, jobProfile(job));
    }
    for (const candidate of candidates) {
      this.candidates.set(candidate.id, candidate);
      this.index.upsertCandidate(candidate.id, candidateProfile(candidate));
    }
    this.readFrom = new Date(new Date(serverTime).getTime() - COMMIT_LAG_MS);
    if (first) log.info('matching index loaded', { jobs: this.index.jobCount, candidates: this.index.candidateCount });
  }
}

/**
 * The columns a match score reads, as candidateProfile and jobProfile read them: a write to
 * none of them leaves every match and ranking as it was (invalidation/rules.ts, `scoring`).
 */
export const SCORED_CANDIDATE_COLUMNS: ReadonlyArray<keyof CandidateRow> = ['skills', 'years_experience', 'salary_expectation', 'lat', 'lng'];
export const SCORED_JOB_COLUMNS: ReadonlyArray<keyof JobRow> = ['required_skills', 'min_years_experience', 'salary_min', 'salary_max', 'remote', 'lat', 'lng'];

export function candidateProfile(row: CandidateRow): CandidateProfile {
  return { skills: row.skills, yearsExperience: row.years_experience, salaryExpectation: row.salary_expectation, lat: row.lat, lng: row.lng };
}

export function jobProfile(row: JobRow): JobProfile {
  return {
    requiredSkills: row.required_skills,
    minYearsExperience: row.min_years_experience,
    salaryMin: row.salary_min,
    salaryMax: row.salary_max,
    remote: row.remote,
    lat: row.lat,
    lng: row.lng,
  };
}
