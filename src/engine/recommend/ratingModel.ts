/**
 * The ratings as a sparse matrix in both directions (compressed rows by movie and by user),
 * and the item-item similarities collaborative filtering ranks with. A snapshot: built
 * from all ratings at one time, as a trained model is; the user's own history is always
 * read fresh by the caller.
 */
export interface RatingTriples {
  userIds: Int32Array;
  movieIds: Int32Array;
  ratings: Float32Array;
}

export interface Neighbors {
  movieIds: Int32Array;
  similarities: Float32Array;
}

/** How many neighbours each movie keeps. */
export const NEIGHBORS_PER_MOVIE = 60;
/** Similarities from few co-raters are shrunk toward 0: sim · n / (n + SHRINK). */
const SHRINK = 5;

export class RatingModel {
  private readonly movieOffsets: Int32Array; // movie m's raters are movieUsers[movieOffsets[m] .. movieOffsets[m+1])
  private readonly movieUsers: Int32Array;
  private readonly movieUserRatings: Float32Array;
  private readonly userOffsets: Int32Array;
  private readonly userMovies: Int32Array;
  private readonly userMovieRatings: Float32Array;
  private readonly norms: Float64Array;
  private readonly neighborCache = new Map<number, Neighbors>();
  private scratchDot: Float64Array;
  private scratchCount: Int32Array;
  readonly maxMovieId: number;
  readonly size: number;

  constructor(triples: RatingTriples) {
    const { userIds, movieIds, ratings } = triples;
    this.size = ratings.length;
    let maxMovie = 0;
    let maxUser = 0;
    for (let k = 0; k < this.size; k++) {
      if (movieIds[k] > maxMovie) maxMovie = movieIds[k];
      if (userIds[k] > maxUser) maxUser = userIds[k];
    }
    this.maxMovieId = maxMovie;
    [this.movieOffsets, this.movieUsers, this.movieUserRatings] = compress(movieIds, userIds, ratings, maxMovie);
    [this.userOffsets, this.userMovies, this.userMovieRatings] = compress(userIds, movieIds, ratings, maxUser);
    this.norms = new Float64Array(maxMovie + 1);
    for (let m = 0; m <= maxMovie; m++) {
      let sum = 0;
      for (let k = this.movieOffsets[m]; k < this.movieOffsets[m + 1]; k++) sum += this.movieUserRatings[k] ** 2;
      this.norms[m] = Math.sqrt(sum);
    }
    this.scratchDot = new Float64Array(maxMovie + 1);
    this.scratchCount = new Int32Array(maxMovie + 1);
  }

  /** How many ratings a movie has in the snapshot. */
  ratingCount(movieId: number): number {
    return movieId > this.maxMovieId || movieId < 0 ? 0 : this.movieOffsets[movieId + 1] - this.movieOffsets[movieId];
  }

  /**
   * The movies most similar to `movieId` (cosine over co-ratings, shrunk for few co-raters),
   * computed on first use and kept.
   */
  neighbors(movieId: number): Neighbors {
    const cached = this.neighborCache.get(movieId);
    if (cached) return cached;
    const found = this.computeNeighbors(movieId);
    this.neighborCache.set(movieId, found);
    return found;
  }

  private computeNeighbors(movieId: number): Neighbors {
    if (movieId > this.maxMovieId || this.norms[movieId] === 0) {
      return { movieIds: new Int32Array(0), similarities: new Float32Array(0) };
    }
    const dot = this.scratchDot;
    const count = this.scratchCount;
    const touched: number[] = [];
    for (let k = this.movieOffsets[movieId]; k < this.movieOffsets[movieId + 1]; k++) {
      const user = this.movieUsers[k];
      const r = this.movieUserRatings[k];
      for (let q = this.userOffsets[user]; q < this.userOffsets[user + 1]; q++) {
        const other = this.userMovies[q];
        if (other === movieId) continue;
        if (count[other] === 0) touched.push(other);
        dot[other] += r * this.userMovieRatings[q];
        count[other]++;
      }
    }
    const scored: Array<[number, number]> = [];
    for (const other of touched) {
      const n = count[other];
      const sim = (dot[other] / (this.norms[movieId] * this.norms[other])) * (n / (n + SHRINK));
      scored.push([other, sim]);
      dot[other] = 0;
      count[other] = 0;
    }
    scored.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    const kept = scored.slice(0, NEIGHBORS_PER_MOVIE);
    return {
      movieIds: Int32Array.from(kept, ([id]) => id),
      similarities: Float32Array.from(kept, ([, sim]) => sim),
    };
  }
}

/** Groups (row, col, value) triples by row into offsets + columns + values. */
function compress(
  rows: Int32Array,
  cols: Int32Array,
  values: Float32Array,
  maxRow: number,
): [Int32Array, Int32Array, Float32Array] {
  const offsets = new Int32Array(maxRow + 2);
  for (let k = 0; k < rows.length; k++) offsets[rows[k] + 1]++;
  for (let r = 0; r <= maxRow; r++) offsets[r + 1] += offsets[r];
  const fill = offsets.slice(0, maxRow + 1);
  const outCols = new Int32Array(rows.length);
  const outValues = new Float32Array(rows.length);
  for (let k = 0; k < rows.length; k++) {
    const at = fill[rows[k]]++;
    outCols[at] = cols[k];
    outValues[at] = values[k];
  }
  return [offsets, outCols, outValues];
}
