/**
 * Generates the seed data in memory, deterministically for a given scale. Ratings come
 * from a hidden taste model — users and movies have genre and latent affinities, and users
 * mostly watch what they are likely to like — so collaborative filtering has real signal.
 * Candidates' skills and cities cluster by sector, so matching has structure.
 */
import { scoreMatch, type MatchAlgorithm, type MatchWeights } from '../../engine/matching.js';
import { Random } from './random.js';
import {
  CITIES, COMPANY_SUFFIXES, COMPANY_WORDS, FIRST_NAMES, GENERIC_SKILLS, GENRES, LAST_NAMES, SECTORS,
  TITLE_ADJECTIVES, TITLE_NOUNS, type City,
} from './referenceData.js';

/** Entity counts at scale 1 (issue 2). */
export const SCALE_ONE = {
  companies: 100,
  candidates: 5000,
  jobs: 1000,
  movies: 10000,
  users: 5000,
  ratings: 300_000,
  matches: 100_000,
};
const POWER_USER_SHARE = 0.2;
/** Power users rate about 11x as many movies as casual users (220 vs 20 at the default mix). */
const POWER_TO_CASUAL_RATINGS = 11;
const LATENT_DIMS = 4;
const DAY_S = 86_400;

/** The weights algorithm_weights starts with (001_tables.sql inserts the same). */
export const INITIAL_WEIGHTS: Record<MatchAlgorithm, MatchWeights> = {
  WEIGHTED: { skills: 0.4, experience: 0.2, location: 0.25, salary: 0.15 },
  SKILLS_ONLY: { skills: 1, experience: 0, location: 0, salary: 0 },
  GEO_FIRST: { skills: 0.2, experience: 0.1, location: 0.6, salary: 0.1 },
};

export interface CompanySeed { id: number; name: string; sector: string }
export interface CandidateSeed {
  id: number; name: string; title: string; skills: string[]; yearsExperience: number; sector: string;
  salaryExpectation: number; city: string; lat: number; lng: number;
}
export interface JobSeed {
  id: number; companyId: number; title: string; sector: string; requiredSkills: string[]; minYearsExperience: number;
  remote: boolean; salaryMin: number; salaryMax: number; city: string; lat: number; lng: number;
}
export interface MovieSeed { id: number; title: string; year: number; genres: string[] }
export interface UserSeed { id: number; name: string; email: string; isPowerUser: boolean }

export interface SeedData {
  scale: number;
  companies: CompanySeed[];
  candidates: CandidateSeed[];
  jobs: JobSeed[];
  movies: MovieSeed[];
  users: UserSeed[];
  /** Columns; ageSeconds is how long before the load the rating was made. */
  ratings: { userIds: Int32Array; movieIds: Int32Array; ratings: Float32Array; ageSeconds: Int32Array };
  matches: { candidateIds: Int32Array; jobIds: Int32Array; algorithms: MatchAlgorithm[]; scores: Float32Array; ageSeconds: Int32Array };
}

/** Everything the seed writes, for `scale` (1 = the sizes in SCALE_ONE; fractions allowed). */
export function generateSeed(scale: number): SeedData {
  if (!(scale > 0)) throw new Error(`scale must be a number above 0; got ${scale}`);
  const count = (n: number) => Math.max(1, Math.round(n * scale));
  const rng = new Random(20261124);
  const companies = generateCompanies(rng, Math.max(SECTORS.length, count(SCALE_ONE.companies)));
  const jobs = generateJobs(rng, count(SCALE_ONE.jobs), companies);
  const candidates = generateCandidates(rng, count(SCALE_ONE.candidates));
  const matches = generateMatchHistory(rng, count(SCALE_ONE.matches), candidates, jobs);
  const movies = generateMovies(rng, count(SCALE_ONE.movies));
  const users = generateUsers(rng, count(SCALE_ONE.users));
  const ratings = generateRatings(rng, count(SCALE_ONE.ratings), users, movies);
  return { scale, companies, candidates, jobs, movies, users, ratings: ratings, matches };
}

function cityNamed(name: string): City {
  const city = CITIES.find((c) => c.name === name);
  if (!city) throw new Error(`reference data names an unknown city: ${name}`);
  return city;
}

/** A city of the sector's hubs most of the time, anywhere otherwise; a little jitter within it. */
function placeIn(rng: Random, hubs: readonly string[], hubShare: number): { city: string; lat: number; lng: number } {
  const city = rng.chance(hubShare) ? cityNamed(rng.pick(hubs)) : rng.pick(CITIES);
  return { city: city.name, lat: round(city.lat + rng.normal() * 0.02, 5), lng: round(city.lng + rng.normal() * 0.02, 5) };
}

function generateCompanies(rng: Random, n: number): CompanySeed[] {
  return Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    name: `${rng.pick(COMPANY_WORDS)} ${rng.pick(COMPANY_WORDS)} ${rng.pick(COMPANY_SUFFIXES)}`,
    // Every sector has companies: the first twelve take one each.
    sector: i < SECTORS.length ? SECTORS[i].name : rng.pick(SECTORS).name,
  }));
}

function generateJobs(rng: Random, n: number, companies: CompanySeed[]): JobSeed[] {
  return Array.from({ length: n }, (_, i) => {
    const company = rng.pick(companies);
    const sector = SECTORS.find((s) => s.name === company.sector)!;
    const minYears = rng.int(0, 10);
    const skills = rng.sample(sector.skills, rng.int(3, 6));
    if (rng.chance(0.2)) skills.push(rng.pick(GENERIC_SKILLS));
    const seniority = 0.75 + minYears * 0.06;
    const salaryMin = roundTo(sector.baseSalary * seniority * (0.9 + rng.next() * 0.2), 1000);
    return {
      id: i + 1,
      companyId: company.id,
      title: `${minYears >= 7 ? 'Senior ' : minYears <= 1 ? 'Junior ' : ''}${rng.pick(sector.titles)}`,
      sector: sector.name,
      requiredSkills: [...new Set(skills)],
      minYearsExperience: minYears,
      remote: rng.chance(0.15),
      salaryMin,
      salaryMax: roundTo(salaryMin * (1.1 + rng.next() * 0.3), 1000),
      ...placeIn(rng, sector.hubs, 0.8),
    };
  });
}

function generateCandidates(rng: Random, n: number): CandidateSeed[] {
  return Array.from({ length: n }, (_, i) => {
    const sector = rng.pick(SECTORS);
    const years = Math.min(30, Math.floor(Math.abs(rng.normal()) * 8));
    const skills = rng.sample(sector.skills, rng.int(3, 8));
    if (rng.chance(0.5)) skills.push(rng.pick(GENERIC_SKILLS));
    if (rng.chance(0.1)) skills.push(rng.pick(rng.pick(SECTORS).skills));
    return {
      id: i + 1,
      name: `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`,
      title: `${years >= 7 ? 'Senior ' : years <= 1 ? 'Junior ' : ''}${rng.pick(sector.titles)}`,
      skills: [...new Set(skills)],
      yearsExperience: years,
      sector: sector.name,
      salaryExpectation: roundTo(sector.baseSalary * (0.75 + years * 0.05) * (0.85 + rng.next() * 0.35), 500),
      ...placeIn(rng, sector.hubs, 0.7),
    };
  });
}

/** 30 days of computed matches, mostly within a sector, scored by the engine itself. */
function generateMatchHistory(rng: Random, n: number, candidates: CandidateSeed[], jobs: JobSeed[]): SeedData['matches'] {
  const jobsBySector = new Map<string, JobSeed[]>();
  for (const job of jobs) jobsBySector.set(job.sector, [...(jobsBySector.get(job.sector) ?? []), job]);
  const out: SeedData['matches'] = {
    candidateIds: new Int32Array(n), jobIds: new Int32Array(n), algorithms: new Array(n),
    scores: new Float32Array(n), ageSeconds: new Int32Array(n),
  };
  for (let k = 0; k < n; k++) {
    const candidate = rng.pick(candidates);
    const sameSector = jobsBySector.get(candidate.sector);
    const job = sameSector && rng.chance(0.8) ? rng.pick(sameSector) : rng.pick(jobs);
    const roll = rng.next();
    const algorithm: MatchAlgorithm = roll < 0.7 ? 'WEIGHTED' : roll < 0.9 ? 'SKILLS_ONLY' : 'GEO_FIRST';
    out.candidateIds[k] = candidate.id;
    out.jobIds[k] = job.id;
    out.algorithms[k] = algorithm;
    out.scores[k] = scoreMatch(candidate, job, INITIAL_WEIGHTS[algorithm]).score;
    // Within the last 30 days, never in the future: the newest is one minute old.
    out.ageSeconds[k] = 60 + Math.floor(rng.next() * (30 * DAY_S - 120));
  }
  return out;
}

function generateMovies(rng: Random, n: number): MovieSeed[] {
  return Array.from({ length: n }, (_, i) => {
    const pattern = rng.int(0, 2);
    const adjective = rng.pick(TITLE_ADJECTIVES);
    const noun = rng.pick(TITLE_NOUNS);
    const title =
      pattern === 0 ? `The ${adjective} ${noun}` : pattern === 1 ? `${adjective} ${noun}` : `${noun} of the ${adjective} ${rng.pick(TITLE_NOUNS)}`;
    // More recent years are more common, as in real catalogues.
    const year = 2025 - Math.floor(Math.pow(rng.next(), 1.8) * 75);
    return { id: i + 1, title, year, genres: rng.sample(GENRES, rng.int(1, 3)) };
  });
}

function generateUsers(rng: Random, n: number): UserSeed[] {
  return Array.from({ length: n }, (_, i) => {
    const first = rng.pick(FIRST_NAMES);
    const last = rng.pick(LAST_NAMES);
    return {
      id: i + 1,
      name: `${first} ${last}`,
      email: `${ascii(first)}.${ascii(last)}.${i + 1}@example.com`,
      // Every fifth user (POWER_USER_SHARE), spread evenly so any id range has its share.
      isPowerUser: (i + 1) % Math.round(1 / POWER_USER_SHARE) === 0,
    };
  });
}

/**
 * The hidden taste model. Each movie has a popularity (Zipf over a random order), a quality
 * and a latent vector; each user has a liking per genre (two or three favourites) and a
 * latent vector. A user picks movies with probability ∝ popularity × exp(2 · affinity) and
 * rates them 3.1 + affinity + quality + noise, rounded to half stars.
 */
function generateRatings(rng: Random, target: number, users: UserSeed[], movies: MovieSeed[]): SeedData['ratings'] {
  const genreIndex = new Map(GENRES.map((g, i) => [g, i]));
  const movieGenres = movies.map((m) => m.genres.map((g) => genreIndex.get(g)!));
  const order = rng.sample(movies.map((m) => m.id - 1), movies.length);
  const popularity = new Float64Array(movies.length);
  order.forEach((movie, rank) => (popularity[movie] = 1 / Math.pow(rank + 5, 0.9)));
  const quality = Float64Array.from(movies, () => rng.normal() * 0.4);
  const movieLatent = Float64Array.from({ length: movies.length * LATENT_DIMS }, () => rng.normal());

  const powerCount = users.filter((u) => u.isPowerUser).length;
  const casualMean = target / (users.length - powerCount + powerCount * POWER_TO_CASUAL_RATINGS);
  const cap = Math.max(1, Math.floor(movies.length * 0.6));

  const userIds: number[] = [];
  const movieIds: number[] = [];
  const values: number[] = [];
  const weights = new Float64Array(movies.length);
  const affinity = new Float64Array(movies.length);
  for (const user of users) {
    const genreLike = Float64Array.from(GENRES, () => rng.normal() * 0.3 - 0.2);
    for (const g of rng.sample([...GENRES.keys()], rng.int(2, 3))) genreLike[g] = 0.9 + rng.next() * 0.4;
    const latent = Float64Array.from({ length: LATENT_DIMS }, () => rng.normal());
    let total = 0;
    for (let m = 0; m < movies.length; m++) {
      let like = 0;
      for (const g of movieGenres[m]) like += genreLike[g];
      like /= movieGenres[m].length;
      let dot = 0;
      for (let d = 0; d < LATENT_DIMS; d++) dot += latent[d] * movieLatent[m * LATENT_DIMS + d];
      affinity[m] = like + (0.25 * dot) / Math.sqrt(LATENT_DIMS);
      total += popularity[m] * Math.exp(2 * affinity[m]);
      weights[m] = total;
    }
    const mean = user.isPowerUser ? casualMean * POWER_TO_CASUAL_RATINGS : casualMean;
    const k = Math.min(cap, Math.max(1, Math.round(mean * (0.5 + rng.next()))));
    const chosen = new Set<number>();
    for (let tries = 0; chosen.size < k && tries < k * 20; tries++) chosen.add(bisect(weights, rng.next() * total));
    for (const m of chosen) {
      const raw = 3.1 + affinity[m] + quality[m] + rng.normal() * 0.5;
      userIds.push(user.id);
      movieIds.push(m + 1);
      values.push(Math.min(5, Math.max(0.5, Math.round(raw * 2) / 2)));
    }
  }
  return {
    userIds: Int32Array.from(userIds),
    movieIds: Int32Array.from(movieIds),
    ratings: Float32Array.from(values),
    ageSeconds: Int32Array.from(values, () => 60 + Math.floor(rng.next() * 365 * DAY_S)),
  };
}

/** The first index whose cumulative weight exceeds `x`. */
function bisect(cumulative: Float64Array, x: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumulative[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function ascii(name: string): string {
  return name.normalize('NFD').replace(/[^A-Za-z]/g, '').toLowerCase();
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function roundTo(value: number, step: number): number {
  return Math.round(value / step) * step;
}
