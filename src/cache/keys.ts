/**
 * Cache keys, built only here, after the seeds' scheme (`movie:metadata:{id}`,
 * `profile:candidate:{id}`, …), under a prefix that carries the schema's version: a deploy
 * that changes the SDL changes the prefix, so it never reads an entry of an older shape.
 */
import { createHash } from 'node:crypto';

export interface CacheKeys {
  /** `strata:{schemaVersion}:` */
  prefix: string;
  /**
   * A tag's version: outside the schema-versioned prefix, because instances of two deploys
   * (a rolling update) must see each other's writes.
   */
  tagVersion(tag: string): string;
  /**
   * The lock an instance holds while it computes `key`. The key in braces is its hash tag: on a
   * cluster the lock lives in the entry's slot, so a write-back lands before its lock's release.
   */
  lock(key: string): string;
  movieMetadata(id: number): string;
  user(id: number): string;
  /** A user as their own caller sees them (PRIVATE fields included): keyed by the caller. */
  privateUser(callerId: number): string;
  userProfile(id: number): string;
  /** A user's ratings, by movie (what their recommendations are built from). */
  userRatings(id: number): string;
  candidateProfile(id: number): string;
  jobProfile(id: number): string;
  company(id: number): string;
  /** Coordinates rounded to 5 decimals (about a metre): nearer points share an entry. */
  geoDistance(from: { lat: number; lng: number }, to: { lat: number; lng: number }): string;
  popularMovies(limit: number): string;
  topMoviesByGenre(genre: string, limit: number): string;
  /** `sector` null means every sector. */
  matchingStats(sector: string | null, hours: number): string;
  recommendations(userId: number, n: number, strategy: string): string;
  match(candidateId: number, jobId: number, algorithm: string): string;
  topMatches(candidateId: number, limit: number, algorithm: string): string;
  topCandidates(jobId: number, limit: number, algorithm: string): string;
  algorithmWeights(algorithm: string): string;
  /** The one road model (geo data) travel times are computed with. */
  roadModel(): string;
}

/** The first 12 hex digits of the SDL's sha256. */
export function schemaVersion(typeDefs: readonly string[]): string {
  return createHash('sha256').update(typeDefs.join('\n')).digest('hex').slice(0, 12);
}

export function createKeys(version: string): CacheKeys {
  const prefix = `strata:${version}:`;
  return {
    prefix,
    tagVersion: (tag) => `strata:tag:${tag}`,
    lock: (key) => `{${key}}:lock`,
    movieMetadata: (id) => `${prefix}movie:metadata:${id}`,
    user: (id) => `${prefix}user:${id}`,
    privateUser: (callerId) => `${prefix}private:caller:${callerId}:user`,
    userProfile: (id) => `${prefix}user:profile:${id}`,
    userRatings: (id) => `${prefix}user:ratings:${id}`,
    candidateProfile: (id) => `${prefix}profile:candidate:${id}`,
    jobProfile: (id) => `${prefix}profile:job:${id}`,
    company: (id) => `${prefix}company:${id}`,
    geoDistance: (from, to) => `${prefix}geo:distance:${point(from)}:${point(to)}`,
    popularMovies: (limit) => `${prefix}movies:popular:limit:${limit}`,
    topMoviesByGenre: (genre, limit) => `${prefix}movies:top:genre:${encodeURIComponent(genre)}:limit:${limit}`,
    matchingStats: (sector, hours) => `${prefix}analytics:stats:sector:${sector === null ? '*' : encodeURIComponent(sector)}:hours:${hours}`,
    recommendations: (userId, n, strategy) => `${prefix}recommendations:user:${userId}:n:${n}:strategy:${strategy}`,
    match: (candidateId, jobId, algorithm) => `${prefix}match:${candidateId}:${jobId}:${algorithm}`,
    topMatches: (candidateId, limit, algorithm) => `${prefix}matches:top:candidate:${candidateId}:limit:${limit}:algorithm:${algorithm}`,
    topCandidates: (jobId, limit, algorithm) => `${prefix}matches:top:job:${jobId}:limit:${limit}:algorithm:${algorithm}`,
    algorithmWeights: (algorithm) => `${prefix}algorithm:weights:${algorithm}`,
    roadModel: () => `${prefix}geo:roads`,
  };
}

function point(p: { lat: number; lng: number }): string {
  return `${p.lat.toFixed(5)},${p.lng.toFixed(5)}`;
}
