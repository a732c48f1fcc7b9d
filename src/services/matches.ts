/**
 * Match scores for the resolvers — one pair, or a ranking over every job or every
 * candidate — served through the cache. Every match served, cached or not, is recorded in
 * the match history that matchingStats aggregates.
 */
import type { MatchAlgorithm } from '../engine/matching.js';
import type { MatchResult } from '../db/rows.js';
import { NotFoundError } from '../errors.js';
import type { Context } from '../server/context.js';

/** Scores one candidate for one job; NOT_FOUND when either does not exist. */
export async function matchPair(ctx: Context, candidateId: number, jobId: number, algorithm: MatchAlgorithm): Promise<MatchResult> {
  const [candidate, job] = await Promise.all([ctx.loaders.candidate.load(candidateId), ctx.loaders.job.load(jobId)]);
  if (!candidate) throw new NotFoundError('Candidate', candidateId);
  if (!job) throw new NotFoundError('Job', jobId);
  const result = await ctx.loaders.match.load({ candidateId, jobId, algorithm });
  if (!result) throw new Error(`no weights for algorithm ${algorithm}`);
  return served(ctx, [result])[0];
}

/** The best `limit` jobs for a candidate; NOT_FOUND when the candidate does not exist. */
export async function topJobsForCandidate(ctx: Context, candidateId: number, limit: number, algorithm: MatchAlgorithm): Promise<MatchResult[]> {
  const ranked = await ctx.loaders.topMatches.load({ id: candidateId, limit, algorithm });
  if (!ranked) throw new NotFoundError('Candidate', candidateId);
  return served(ctx, ranked);
}

/** The best `limit` candidates for a job; NOT_FOUND when the job does not exist. */
export async function topCandidatesForJob(ctx: Context, jobId: number, limit: number, algorithm: MatchAlgorithm): Promise<MatchResult[]> {
  const ranked = await ctx.loaders.topCandidates.load({ id: jobId, limit, algorithm });
  if (!ranked) throw new NotFoundError('Job', jobId);
  return served(ctx, ranked);
}

function served(ctx: Context, results: MatchResult[]): MatchResult[] {
  ctx.services.matchHistory.record(results);
  return results;
}
