/**
 * Recommendations per strategy. COLLABORATIVE ranks with a RatingModel built from all
 * ratings when first needed (a snapshot, as a trained model is); the user's own ratings are
 * read fresh on every call, so what they just rated is never recommended back.
 */
import { recommendCollaborative } from '../engine/recommend/collaborative.js';
import { recommendByGenre } from '../engine/recommend/genre.js';
import { recommendPopular } from '../engine/recommend/popular.js';
import { RatingModel } from '../engine/recommend/ratingModel.js';
import type { ScoredMovie, UserRating } from '../engine/recommend/types.js';
import type { Db } from '../db/pool.js';
import { popularMovieIds, topMovieIdsByGenre } from '../db/sources/movies.js';
import { allRatings } from '../db/sources/users.js';
import type { MovieRow, UserProfileRow } from '../db/rows.js';
import { logger } from '../log.js';

const log = logger('services.recommender');

export type RecommendationStrategy = 'COLLABORATIVE' | 'POPULAR' | 'GENRE';

/**
 * What a list was drawn from besides the user's own ratings: `popular`, the movie_stats view;
 * `genres`, the user's favourite genres (their profile) and the top_movies_by_genre view. A
 * COLLABORATIVE list that needed no fallback draws on neither (its model is a snapshot), so a
 * refresh of the views, at every movie's rating milestone, leaves it be (loaders/computed.ts).
 */
export type RecommendationSource = 'popular' | 'genres';

export interface Recommended {
  picked: ScoredMovie[];
  drewOn: RecommendationSource[];
}

/** What the recommender needs of the request: batched movie, profile and rating-history lookups (through the tiers). */
export interface RecommendationLookups {
  movie(id: number): Promise<MovieRow | undefined>;
  profile(userId: number): Promise<UserProfileRow | undefined>;
  /** The user's ratings, by movie (none for an unknown user). */
  ratings(userId: number): Promise<UserRating[] | undefined>;
}

export class Recommender {
  private model: Promise<RatingModel> | null = null;

  constructor(private readonly db: Db) {}

  /**
   * The user's top `n` by `strategy`, each with what its reason refers to. The reason is put
   * into words when served (resolvers/Recommendation.ts), from the cited movie as it is then:
   * a cached list holds movie ids, never a title that could change under it.
   */
  async recommend(
    userId: number,
    n: number,
    strategy: RecommendationStrategy,
    lookups: RecommendationLookups,
  ): Promise<Recommended> {
    const history = (await lookups.ratings(userId)) ?? [];
    let picked: ScoredMovie[];
    const drewOn: RecommendationSource[] = [];
    const popular = (k: number) => {
      drewOn.push('popular');
      return this.popular(history, k);
    };
    if (strategy === 'COLLABORATIVE') {
      picked = recommendCollaborative(await this.ratingModel(), history, n);
      // A user who liked nothing yet has no neighbours to draw on: fall back to what is popular.
      if (picked.length < n) picked = fillFrom(picked, await popular(n + picked.length), n);
    } else if (strategy === 'POPULAR') {
      picked = await popular(n);
    } else {
      drewOn.push('genres');
      const genres = (await lookups.profile(userId))?.favorite_genres ?? [];
      const lists = await topMovieIdsByGenre(this.db, genres, n + history.length);
      picked = recommendByGenre(genres.map((genre) => ({ genre, movies: lists.get(genre) ?? [] })), history, n);
      if (picked.length < n) picked = fillFrom(picked, await popular(n + picked.length), n);
    }
    // Ask for the recommended movies (which the response shows) in the same tick as the ones the
    // reasons cite, so the request reads movies in one batch instead of two.
    const cited = picked.flatMap((m) => (m.because.kind === 'similarTo' ? [m.because.movieId] : []));
    await Promise.all([...picked.map((m) => m.movieId), ...cited].map((id) => lookups.movie(id)));
    return { picked, drewOn };
  }

  private async popular(history: UserRating[], n: number): Promise<ScoredMovie[]> {
    // Ask for enough that n remain after leaving out everything the user rated.
    return recommendPopular(await popularMovieIds(this.db, n + history.length), history, n);
  }

  private ratingModel(): Promise<RatingModel> {
    this.model ??= (async () => {
      const started = Date.now();
      const model = new RatingModel(await allRatings(this.db));
      log.info('collaborative model built', { ratings: model.size, ms: Date.now() - started });
      return model;
    })().catch((err) => {
      this.model = null; // a failed build is not kept: the next call tries again
      throw err;
    });
    return this.model;
  }
}

function fillFrom(picked: ScoredMovie[], more: ScoredMovie[], n: number): ScoredMovie[] {
  const seen = new Set(picked.map((m) => m.movieId));
  return [...picked, ...more.filter((m) => !seen.has(m.movieId))].slice(0, n);
}
