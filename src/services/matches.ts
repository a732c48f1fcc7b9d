/** Match scores for the resolvers: one pair, or a ranking over every job or every candidate. */
import type { MatchAlgorithm } from '../engine/matching.js';
import { scoreMatch } from '../engine/matching.js';
import type { MatchResult } from '../db/rows.js';
import { NotFoundError } from '../errors.js';
import type { Context } from '../server/context.js';
import { candidateProfile, jobProfile } from './matcher.js';

/** Scores one candidate for one job; NOT_FOUND when either does not exist. */
export async function matchPair(ctx: Context, candidateId: number, jobId: number, algorithm: MatchAlgorithm): Promise<MatchResult> {
  const [candidate, job, weights] = await Promise.all([
    ctx.loaders.candidate.load(candidateId),
    ctx.loaders.job.load(jobId),
    ctx.loaders.algorithmWeights.load(algorithm),
  ]);
  if (!candidate) throw new NotFoundError('Candidate', candidateId);
  if (!job) throw new NotFoundError('Job', jobId);
  const result: MatchResult = { candidateId, jobId, algorithm, ...scoreMatch(candidateProfile(candidate), jobProfile(job), weights) };
  ctx.services.matchHistory.record([result]);
  return result;
}

/** The best `limit` jobs for a candidate; NOT_FOUND when the candidate does not exist. */
export async function topJobsForCandidate(
  ctx: Context,
  candidateId: number,
  limit: number,
  algorithm: MatchAlgorithm,
): Promise<MatchResult[]> {
  const weights = await ctx.loaders.algorithmWeights.load(algorithm);
  const ranked = await ctx.services.matcher.topJobsFor(candidateId, weights, limit);
  if (!ranked) throw new NotFoundError('Candidate', candidateId);
  const results = ranked.map(({ id, ...score }) => ({ candidateId, jobId: id, algorithm, ...score }));
  ctx.services.matchHistory.record(results);
  return results;
}

/** The best `limit` candidates for a job; NOT_FOUND when the job does not exist. */
export async function topCandidatesForJob(
  ctx: Context,
  jobId: number,
  limit: number,
  algorithm: MatchAlgorithm,
): Promise<MatchResult[]> {
  const weights = await ctx.loaders.algorithmWeights.load(algorithm);
  const ranked = await ctx.services.matcher.topCandidatesFor(jobId, weights, limit);
  if (!ranked) throw new NotFoundError('Job', jobId);
  const results = ranked.map(({ id, ...score }) => ({ candidateId: id, jobId, algorithm, ...score }));
  ctx.services.matchHistory.record(results);
  return results;
}
