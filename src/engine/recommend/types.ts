/** What every recommendation strategy returns and takes. */
export interface ScoredMovie {
  movieId: number;
  /** In [0, 1], relative to the strongest recommendation of the same list. */
  score: number;
  /** What the reason sentence refers to: the rated movie that led here, a genre, or a count. */
  because:
    | { kind: 'similarTo'; movieId: number }
    | { kind: 'popular'; ratingCount: number }
    | { kind: 'genre'; genre: string; avgRating: number };
}

/** A movie the user rated, with the rating (0.5-5). */
export interface UserRating {
  movieId: number;
  rating: number;
}
