import type { MutationResolvers } from '../src/generated/resolverTypes.js';
import { parseId } from '../src/errors.js';
import { rateMovie } from '../src/commands/rateMovie.js';
import { updateCandidate } from '../src/commands/updateCandidate.js';
import { updateJob } from '../src/commands/updateJob.js';
import { updateAlgorithmWeights } from '../src/commands/updateAlgorithmWeights.js';

// Each mutation: parse ids → one command (one transaction) → invalidate what its events name → result.
// Where the command returns rows as it left them, the invalidation stores them (beforeWrite
// reads their versions before the statement: TieredLoader.beforeWrite, invalidate.ts), so the
// reads after the write find them instead of running their statements again.
export const Mutation: MutationResolvers = {
  rateMovie: async (_, { userId, movieId, rating }, ctx) => {
    const input = { userId: parseId(userId, 'userId'), movieId: parseId(movieId, 'movieId'), rating };
    const movie = ctx.loaders.movie.beforeWrite(input.movieId);
    const profile = ctx.loaders.userProfile.beforeWrite(input.userId);
    const ratings = ctx.loaders.userRatings.beforeWrite(input.userId);
    const { result, events, after } = await rateMovie(ctx.services.db, input);
    const written = [movie?.(after.movie), profile?.(after.profile), ratings?.(after.ratings)].filter((value) => value !== undefined);
    await ctx.services.invalidator.invalidate(events, ctx.loaders, written);
    return result;
  },
  updateCandidate: async (_, { id, input }, ctx) => {
    const candidateId = parseId(id, 'id');
    const candidate = ctx.loaders.candidate.beforeWrite(candidateId);
    const { result, events } = await updateCandidate(ctx.services.db, candidateId, input);
    await ctx.services.invalidator.invalidate(events, ctx.loaders, candidate ? [candidate(result)] : []);
    return result;
  },
  updateJob: async (_, { id, input }, ctx) => {
    const jobId = parseId(id, 'id');
    const job = ctx.loaders.job.beforeWrite(jobId);
    const { result, events } = await updateJob(ctx.services.db, jobId, input);
    await ctx.services.invalidator.invalidate(events, ctx.loaders, job ? [job(result)] : []);
    return result;
  },
  updateAlgorithmWeights: async (_, { algorithm, weights }, ctx) => {
    const { result, events } = await updateAlgorithmWeights(ctx.services.db, algorithm, weights);
    await ctx.services.invalidator.invalidate(events, ctx.loaders);
    return result;
  },
};
