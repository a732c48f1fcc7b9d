/**
 * Match scores for the resolvers — one pair, or a ranking over every job or every
 * candidate — served through the cache (whose loaders record what they compute in the match
 * history).
 */
import type { MatchAlgorithm } from '../engine/matching.js';
import type { MatchResult } from '../db/rows.js';
import { NotFoundError } from '../errors.js';
import type { Context } from '../server/context.js';
import { mapNow, type ValueOrPromise } from '../valueOrPromise.js';

/** Scores one candidate for one job; NOT_FOUND when either does not exist. */
export async function matchPair(ctx: Context, candidateId: number, jobId: number, algorithm: MatchAlgorithm): Promise<MatchResult> {
  // Read for whether they exist: the answer shows them only through Match.candidate and
  // Match.job, whose reads the trace records (a missing one is an error, never kept).
  const [candidate, job] = await Promise.all([ctx.loaders.candidate.loadInput(candidateId), ctx.loaders.job.loadInput(jobId)]);
  if (!candidate) throw new NotFoundError('Candidate', candidateId);
  if (!job) throw new NotFoundError('Job', jobId);
  const result = await ctx.loaders.match.load({ candidateId, jobId, algorithm });
  if (!result) throw new Error(`no weights for algorithm ${algorithm}`);
  return result;
}

/** The best `limit` jobs for a candidate (at once when cached); NOT_FOUND when the candidate does not exist. */
export function topJobsForCandidate(ctx: Context, candidateId: number, limit: number, algorithm: MatchAlgorithm): ValueOrPromise<MatchResult[]> {
  return mapNow(ctx.loaders.topMatches.fetch({ id: candidateId, limit, algorithm }), (ranked) => {
    if (!ranked) throw new NotFoundError('Candidate', candidateId);
    return ranked;
  });
}

/** The best `limit` candidates for a job (at once when cached); NOT_FOUND when the job does not exist. */
export function topCandidatesForJob(ctx: Context, jobId: number, limit: number, algorithm: MatchAlgorithm): ValueOrPromise<MatchResult[]> {
  return mapNow(ctx.loaders.topCandidates.fetch({ id: jobId, limit, algorithm }), (ranked) => {
    if (!ranked) throw new NotFoundError('Job', jobId);
    return ranked;
  });
}
