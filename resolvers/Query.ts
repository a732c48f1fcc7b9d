import type { QueryResolvers } from '../src/generated/resolverTypes.js';
import { checkRange, parseId, BadUserInputError, NotFoundError, UnauthenticatedError } from '../src/errors.js';
import { allGenres } from '../src/db/sources/movies.js';
import { allSectors, jobsList } from '../src/db/sources/jobs.js';
import { invalidCoordinates } from '../src/engine/geo.js';
import { matchPair, topCandidatesForJob, topJobsForCandidate } from '../src/services/matches.js';
import { recommendationsOf } from './User.js';
import { present } from './load.js';
import { mapNow } from '../src/valueOrPromise.js';
import type { Context } from '../src/server/context.js';

/** Lists cap at 100 rows: the limit clients may ask for, and what cost limits (issue 5) price. */
const MAX_LIST = 100;

export const Query: QueryResolvers = {
  movie: (_, { id }, ctx) => ctx.loaders.movie.fetchReference(parseId(id, 'id')),
  movies: (_, { ids }, ctx) => {
    if (ids.length > MAX_LIST) throw new BadUserInputError(`ids may hold at most ${MAX_LIST} ids; got ${ids.length}`, 'ids');
    return mapNow(ctx.loaders.movie.fetchReferences(ids.map((id) => parseId(id, 'ids'))), (rows) => rows.map((row) => row ?? null));
  },
  genres: (_, __, ctx) => allGenres(ctx.services.db),
  popularMovies: (_, { limit }, ctx) =>
    mapNow(ctx.loaders.popularMovieIds.fetch(checkRange(limit, 'limit', 1, MAX_LIST)), (ranked) => moviesOf(ctx, ranked)),
  topMoviesByGenre: (_, { genre, limit }, ctx) =>
    mapNow(ctx.loaders.topMovieIdsByGenre.fetch({ genre, limit: checkRange(limit, 'limit', 1, MAX_LIST) }), (ranked) => moviesOf(ctx, ranked)),
  user: (_, { id }, ctx) => ctx.loaders.user.fetch(parseId(id, 'id')),
  recommendations: (_, { userId, n, strategy }, ctx) => {
    const id = parseId(userId, 'userId');
    return mapNow(recommendationsOf(ctx, id, n, strategy), (items) => {
      if (!items) throw new NotFoundError('User', id);
      return items;
    });
  },
  me: async (_, __, ctx) => {
    if (ctx.caller.kind === 'anonymous') throw new UnauthenticatedError(`me needs a caller: ${ctx.caller.reason}`);
    const user = await ctx.loaders.privateUser.load(ctx.caller.userId);
    if (!user) throw new UnauthenticatedError(`the token names user ${ctx.caller.userId}, who does not exist`);
    return user;
  },

  sectors: (_, __, ctx) => allSectors(ctx.services.db),
  candidate: (_, { id }, ctx) => ctx.loaders.candidate.fetchReference(parseId(id, 'id')),
  job: (_, { id }, ctx) => ctx.loaders.job.fetchReference(parseId(id, 'id')),
  jobs: async (_, { sector, limit }, ctx) => {
    const rows = await jobsList(ctx.services.db, sector ?? null, checkRange(limit, 'limit', 1, MAX_LIST));
    // The list read whole rows: prime the loader so nested fields do not read them again.
    for (const row of rows) ctx.loaders.job.prime(row.id, row);
    return rows;
  },
  match: (_, { candidateId, jobId, algorithm }, ctx) =>
    matchPair(ctx, parseId(candidateId, 'candidateId'), parseId(jobId, 'jobId'), algorithm),
  topMatches: (_, { candidateId, limit, algorithm }, ctx) =>
    topJobsForCandidate(ctx, parseId(candidateId, 'candidateId'), checkRange(limit, 'limit', 1, MAX_LIST), algorithm),
  topCandidates: (_, { jobId, limit, algorithm }, ctx) =>
    topCandidatesForJob(ctx, parseId(jobId, 'jobId'), checkRange(limit, 'limit', 1, MAX_LIST), algorithm),
  travelTime: (_, { from, to }, ctx) => {
    for (const [name, point] of [['from', from], ['to', to]] as const) {
      const problem = invalidCoordinates(point);
      if (problem) throw new BadUserInputError(`${name}.${problem}`, name);
    }
    // A pure function of its arguments: always found.
    return mapNow(ctx.loaders.travelTime.fetch({ from, to }), (time) => time!);
  },
  matchingStats: (_, { sector, hours }, ctx) =>
    mapNow(ctx.loaders.matchingStats.fetch({ sector: sector ?? null, hours: checkRange(hours, 'hours', 1, 720) }), (stats) => stats ?? []),
  algorithmWeights: async (_, { algorithm }, ctx) => {
    const weights = await ctx.loaders.algorithmWeights.load(algorithm);
    if (!weights) throw new Error(`no weights for algorithm ${algorithm}: the migrations insert one row per algorithm`);
    return weights;
  },
};

/** The movies of a ranking, in its order, at once when cached; ids with no movie row are left out. */
function moviesOf(ctx: Context, ranked: ReadonlyArray<{ movieId: number }> | undefined) {
  return mapNow(ctx.loaders.movie.fetchReferences((ranked ?? []).map((m) => m.movieId)), present);
}
