/**
 * Offline evaluation of the strategies: hold out part of some users' ratings, train on the
 * rest, and count how many of each top-10 the user in fact rated highly (precision@10).
 */
import { recommendCollaborative } from './collaborative.js';
import { recommendPopular, type PopularMovie } from './popular.js';
import { RatingModel, type RatingTriples } from './ratingModel.js';
import type { UserRating } from './types.js';

export interface HoldoutResult {
  users: number;
  collaborative: number;
  popular: number;
}

/** A rating at or above this counts as "the user liked it". */
const RELEVANT_RATING = 4;

/**
 * Precision@k of COLLABORATIVE and POPULAR for `evalUsers` users (every `stride`-th user with
 * enough ratings), holding out every `1/holdoutShare`-th of their ratings.
 */
export function evaluateHoldout(all: RatingTriples, options: { evalUsers: number; k: number; holdoutEvery: number }): HoldoutResult {
  const { evalUsers, k, holdoutEvery } = options;
  const byUser = new Map<number, number[]>();
  for (let i = 0; i < all.ratings.length; i++) {
    const list = byUser.get(all.userIds[i]);
    if (list) list.push(i);
    else byUser.set(all.userIds[i], [i]);
  }
  const eligible = [...byUser.entries()].filter(([, rows]) => rows.length >= 20).map(([user]) => user).sort((a, b) => a - b);
  const stride = Math.max(1, Math.floor(eligible.length / evalUsers));
  const evaluated = new Set(eligible.filter((_, i) => i % stride === 0).slice(0, evalUsers));

  const heldOut = new Set<number>();
  for (const user of evaluated) byUser.get(user)!.forEach((row, n) => n % holdoutEvery === 0 && heldOut.add(row));
  const keep = (_: unknown, i: number) => !heldOut.has(i);
  const train: RatingTriples = {
    userIds: all.userIds.filter(keep),
    movieIds: all.movieIds.filter(keep),
    ratings: all.ratings.filter(keep),
  };
  const model = new RatingModel(train);
  const counts = new Map<number, number>();
  for (const movie of train.movieIds) counts.set(movie, (counts.get(movie) ?? 0) + 1);
  const popular: PopularMovie[] = [...counts.entries()]
    .map(([movieId, ratingCount]) => ({ movieId, ratingCount }))
    .sort((a, b) => b.ratingCount - a.ratingCount || a.movieId - b.movieId);

  let collaborativeHits = 0;
  let popularHits = 0;
  let users = 0;
  for (const user of evaluated) {
    const rows = byUser.get(user)!;
    const history: UserRating[] = rows.filter((r) => !heldOut.has(r)).map((r) => ({ movieId: all.movieIds[r], rating: all.ratings[r] }));
    const relevant = new Set(rows.filter((r) => heldOut.has(r) && all.ratings[r] >= RELEVANT_RATING).map((r) => all.movieIds[r]));
    if (relevant.size === 0) continue;
    users++;
    collaborativeHits += recommendCollaborative(model, history, k).filter((m) => relevant.has(m.movieId)).length;
    popularHits += recommendPopular(popular, history, k).filter((m) => relevant.has(m.movieId)).length;
  }
  return { users, collaborative: collaborativeHits / (users * k), popular: popularHits / (users * k) };
}
