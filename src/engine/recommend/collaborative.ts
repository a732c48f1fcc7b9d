/**
 * COLLABORATIVE: item-item collaborative filtering. Each movie the user liked votes for its
 * neighbours, in proportion to how much the user liked it and how similar they are; movies
 * the user rated are never recommended.
 */
import type { RatingModel } from './ratingModel.js';
import type { ScoredMovie, UserRating } from './types.js';

/** A rating's vote: 1 at 5 stars, 0 at 2 stars or fewer (a disliked movie recommends nothing). */
function likeWeight(rating: number): number {
  return Math.max(0, rating - 2) / 3;
}

/** The n movies with the most votes, best first; empty when the user liked nothing. */
export function recommendCollaborative(model: RatingModel, history: readonly UserRating[], n: number): ScoredMovie[] {
  const rated = new Set(history.map((r) => r.movieId));
  const votes = new Map<number, { total: number; bestSource: number; bestVote: number }>();
  for (const { movieId, rating } of history) {
    const weight = likeWeight(rating);
    if (weight === 0) continue;
    const { movieIds, similarities } = model.neighbors(movieId);
    for (let k = 0; k < movieIds.length; k++) {
      const candidate = movieIds[k];
      if (rated.has(candidate)) continue;
      const vote = weight * similarities[k];
      const entry = votes.get(candidate);
      if (!entry) votes.set(candidate, { total: vote, bestSource: movieId, bestVote: vote });
      else {
        entry.total += vote;
        if (vote > entry.bestVote) Object.assign(entry, { bestSource: movieId, bestVote: vote });
      }
    }
  }
  const ranked = [...votes.entries()].sort((a, b) => b[1].total - a[1].total || a[0] - b[0]).slice(0, n);
  const top = ranked[0]?.[1].total ?? 1;
  return ranked.map(([movieId, v]) => ({
    movieId,
    score: v.total / top,
    because: { kind: 'similarTo', movieId: v.bestSource },
  }));
}
