import type { RecommendationResolvers } from '../src/generated/resolverTypes.js';
import type { ScoredMovie } from '../src/engine/recommend/types.js';
import type { MovieRow } from '../src/db/rows.js';
import { mapNow, type ValueOrPromise } from '../src/valueOrPromise.js';
import { requiredNow } from './load.js';

export const Recommendation: RecommendationResolvers = {
  movie: (rec, _, ctx) => requiredNow(ctx.loaders.movie.fetchReference(rec.movieId), 'Movie', rec.movieId),
  // Worded from the cited movie as it is now, so a renamed movie never shows its old title here.
  reason: (rec, _, ctx) => reasonFor(rec.because, (id) => ctx.loaders.movie.fetch(id)),
};

/** The reason of a recommendation in a sentence; at once when the cited movie is in L1. */
function reasonFor(because: ScoredMovie['because'], movie: (id: number) => ValueOrPromise<MovieRow | undefined>): ValueOrPromise<string> {
  switch (because.kind) {
    case 'similarTo':
      return mapNow(movie(because.movieId), (source) => `Because you rated "${source?.title ?? `movie ${because.movieId}`}" highly`);
    case 'popular':
      return `Among the most rated movies (${because.ratingCount} ratings)`;
    case 'genre':
      return `Top rated in ${because.genre}, one of your favourite genres (${because.avgRating.toFixed(1)} average)`;
  }
}
