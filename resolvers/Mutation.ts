import type { MutationResolvers } from '../src/generated/resolverTypes.js';
import { parseId } from '../src/errors.js';
import { rateMovie } from '../src/commands/rateMovie.js';
import { updateCandidate } from '../src/commands/updateCandidate.js';
import { updateJob } from '../src/commands/updateJob.js';
import { updateAlgorithmWeights } from '../src/commands/updateAlgorithmWeights.js';

// Each mutation: parse ids → one command (one transaction) → invalidate what its events name → result.
export const Mutation: MutationResolvers = {
  rateMovie: async (_, { userId, movieId, rating }, ctx) => {
    const { result, events } = await rateMovie(ctx.services.db, {
      userId: parseId(userId, 'userId'),
      movieId: parseId(movieId, 'movieId'),
      rating,
    });
    await ctx.services.invalidator.invalidate(events, ctx.loaders);
    return result;
  },
  updateCandidate: async (_, { id, input }, ctx) => {
    const { result, events } = await updateCandidate(ctx.services.db, parseId(id, 'id'), input);
    await ctx.services.invalidator.invalidate(events, ctx.loaders);
    return result;
  },
  updateJob: async (_, { id, input }, ctx) => {
    const { result, events } = await updateJob(ctx.services.db, parseId(id, 'id'), input);
    await ctx.services.invalidator.invalidate(events, ctx.loaders);
    return result;
  },
  updateAlgorithmWeights: async (_, { algorithm, weights }, ctx) => {
    const { result, events } = await updateAlgorithmWeights(ctx.services.db, algorithm, weights);
    await ctx.services.invalidator.invalidate(events, ctx.loaders);
    return result;
  },
};
