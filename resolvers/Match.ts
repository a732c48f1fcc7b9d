import type { MatchResolvers } from '../src/generated/resolverTypes.js';
import { requiredNow } from './load.js';

export const Match: MatchResolvers = {
  candidate: (match, _, ctx) => requiredNow(ctx.loaders.candidate.fetchReference(match.candidateId), 'Candidate', match.candidateId),
  job: (match, _, ctx) => requiredNow(ctx.loaders.job.fetchReference(match.jobId), 'Job', match.jobId),
};
