/**
 * Cache keys, built only here, after the seeds' scheme (`movie:metadata:{id}`,
 * `profile:candidate:{id}`, …), under a prefix that carries the schema's version: a deploy
 * that changes the SDL changes the prefix, so it never reads an entry of an older shape.
 */
import { createHash } from 'node:crypto';

export interface CacheKeys {
  /** `strata:{schemaVersion}:` */
  prefix: string;
  movieMetadata(id: number): string;
  user(id: number): string;
  userProfile(id: number): string;
  candidateProfile(id: number): string;
  jobProfile(id: number): string;
  company(id: number): string;
  /** Coordinates rounded to 5 decimals (about a metre): nearer points share an entry. */
  geoDistance(from: { lat: number; lng: number }, to: { lat: number; lng: number }): string;
  popularMovies(limit: number): string;
  topMoviesByGenre(genre: string, limit: number): string;
  /** `sector` null means every sector. */
  matchingStats(sector: string | null, hours: number): string;
}

/** The first 12 hex digits of the SDL's sha256. */
export function schemaVersion(typeDefs: readonly string[]): string {
  return createHash('sha256').update(typeDefs.join('\n')).digest('hex').slice(0, 12);
}

export function createKeys(version: string): CacheKeys {
  const prefix = `strata:${version}:`;
  return {
    prefix,
    movieMetadata: (id) => `${prefix}movie:metadata:${id}`,
    user: (id) => `${prefix}user:${id}`,
    userProfile: (id) => `${prefix}user:profile:${id}`,
    candidateProfile: (id) => `${prefix}profile:candidate:${id}`,
    jobProfile: (id) => `${prefix}profile:job:${id}`,
    company: (id) => `${prefix}company:${id}`,
    geoDistance: (from, to) => `${prefix}geo:distance:${point(from)}:${point(to)}`,
    popularMovies: (limit) => `${prefix}movies:popular:limit:${limit}`,
    topMoviesByGenre: (genre, limit) => `${prefix}movies:top:genre:${encodeURIComponent(genre)}:limit:${limit}`,
    matchingStats: (sector, hours) => `${prefix}analytics:stats:sector:${sector === null ? '*' : encodeURIComponent(sector)}:hours:${hours}`,
  };
}

function point(p: { lat: number; lng: number }): string {
  return `${p.lat.toFixed(5)},${p.lng.toFixed(5)}`;
}
