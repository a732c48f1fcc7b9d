/**
 * The match score of one candidate for one job (seed 000): four parts in [0, 1] — skills
 * overlap, experience fit, location (travel time; remote jobs score full) and salary fit —
 * combined with an algorithm's weights.
 */
import { haversineKm, STANDARD_ROADS, travelMinutesForKm, type GeoPoint, type RoadModel } from './geo.js';

export type MatchAlgorithm = 'WEIGHTED' | 'SKILLS_ONLY' | 'GEO_FIRST';

export interface MatchWeights {
  skills: number;
  experience: number;
  location: number;
  salary: number;
}

export interface CandidateProfile extends GeoPoint {
  skills: readonly string[];
  yearsExperience: number;
  salaryExpectation: number;
}

export interface JobProfile extends GeoPoint {
  requiredSkills: readonly string[];
  minYearsExperience: number;
  salaryMin: number;
  salaryMax: number;
  remote: boolean;
}

export interface MatchBreakdown {
  skills: number;
  experience: number;
  location: number;
  salary: number;
}

export interface MatchScore {
  score: number;
  travelMinutes: number;
  breakdown: MatchBreakdown;
}

/** A commute up to this long scores full marks on location... */
export const FULL_SCORE_COMMUTE_MIN = 20;
/** ...and one this long or longer scores zero. */
export const ZERO_SCORE_COMMUTE_MIN = 90;

/** Share of the job's required skills the candidate has; 1 when the job lists none. */
export function skillsFit(required: number, shared: number): number {
  return required === 0 ? 1 : shared / required;
}

/** 1 at or above the minimum, falling linearly to 0 for no experience. */
export function experienceFit(years: number, minYears: number): number {
  return minYears <= 0 ? 1 : Math.min(1, years / minYears);
}

/** 1 when the commute is short (or the job remote), 0 past ZERO_SCORE_COMMUTE_MIN, linear between. */
export function locationFit(travelMinutes: number, remote: boolean): number {
  if (remote) return 1;
  if (travelMinutes <= FULL_SCORE_COMMUTE_MIN) return 1;
  if (travelMinutes >= ZERO_SCORE_COMMUTE_MIN) return 0;
  return 1 - (travelMinutes - FULL_SCORE_COMMUTE_MIN) / (ZERO_SCORE_COMMUTE_MIN - FULL_SCORE_COMMUTE_MIN);
}

/**
 * 1 when the expectation is at or below the band's floor, 0.5 at its ceiling, and falling to
 * 0 when it exceeds the ceiling by half of it or more.
 */
export function salaryFit(expectation: number, min: number, max: number): number {
  if (expectation <= min) return 1;
  if (expectation <= max) return max === min ? 1 : 1 - (0.5 * (expectation - min)) / (max - min);
  return Math.max(0, 0.5 - (expectation - max) / max);
}

/** Weighted mean of the breakdown; the weights need not sum to 1 but must sum above 0. */
export function combine(breakdown: MatchBreakdown, weights: MatchWeights): number {
  const total = weights.skills + weights.experience + weights.location + weights.salary;
  const score =
    (breakdown.skills * weights.skills +
      breakdown.experience * weights.experience +
      breakdown.location * weights.location +
      breakdown.salary * weights.salary) /
    total;
  return Math.min(1, Math.max(0, score));
}

/** Scores one candidate for one job, their travel time under `roads`. */
export function scoreMatch(candidate: CandidateProfile, job: JobProfile, weights: MatchWeights, roads: RoadModel = STANDARD_ROADS): MatchScore {
  const required = new Set(job.requiredSkills);
  let shared = 0;
  for (const skill of new Set(candidate.skills)) if (required.has(skill)) shared++;
  const travelMinutes = roundTo(travelMinutesForKm(haversineKm(candidate, job), roads), 1);
  const breakdown: MatchBreakdown = {
    skills: skillsFit(required.size, shared),
    experience: experienceFit(candidate.yearsExperience, job.minYearsExperience),
    location: locationFit(travelMinutes, job.remote),
    salary: salaryFit(candidate.salaryExpectation, job.salaryMin, job.salaryMax),
  };
  return { score: combine(breakdown, weights), travelMinutes, breakdown };
}

function roundTo(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
