import type { MatchResolvers } from '../src/generated/resolverTypes.js';
import { required } from './load.js';

export const Match: MatchResolvers = {
  candidate: async (match, _, ctx) => required(await ctx.loaders.candidate.load(match.candidateId), 'Candidate', match.candidateId),
  job: async (match, _, ctx) => required(await ctx.loaders.job.load(match.jobId), 'Job', match.jobId),
};
