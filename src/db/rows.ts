/**
 * The shapes the data layer hands to resolvers; codegen maps GraphQL types onto them
 * (codegen.yml `mappers`), so resolvers are typed against what the database returns.
 */
import type { MatchAlgorithm, MatchBreakdown } from '../engine/matching.js';
import type { ScoredMovie } from '../engine/recommend/types.js';

export interface MovieRow {
  id: number;
  title: string;
  year: number;
  genres: string[];
  avg_rating: number | null;
  rating_count: number;
}

export interface UserRow {
  id: number;
  name: string;
  /** Null in what the public entry `user:{id}` holds: PRIVATE, it is cached only per caller. */
  email: string | null;
  is_power_user: boolean;
}

export interface UserProfileRow {
  user_id: number;
  favorite_genres: string[];
  rating_count: number;
  avg_rating: number | null;
}

export interface RatingRow {
  user_id: number;
  movie_id: number;
  rating: number;
  rated_at: Date;
}

export interface CompanyRow {
  id: number;
  name: string;
  sector: string;
}

export interface CandidateRow {
  id: number;
  name: string;
  title: string;
  skills: string[];
  years_experience: number;
  sector: string;
  salary_expectation: number;
  city: string;
  lat: number;
  lng: number;
}

export interface JobRow {
  id: number;
  company_id: number;
  title: string;
  sector: string;
  required_skills: string[];
  min_years_experience: number;
  remote: boolean;
  salary_min: number;
  salary_max: number;
  city: string;
  lat: number;
  lng: number;
}

export interface AlgorithmWeightsRow {
  algorithm: MatchAlgorithm;
  skills: number;
  experience: number;
  location: number;
  salary: number;
}

export interface MatchingStatsRow {
  hour: Date;
  sector: string;
  total_matches: number;
  avg_score: number;
  p95_score: number;
}

/** A computed match: the engine's score for one pair, with the ids to resolve both sides. */
export interface MatchResult {
  candidateId: number;
  jobId: number;
  algorithm: MatchAlgorithm;
  score: number;
  travelMinutes: number;
  breakdown: MatchBreakdown;
}

/** A recommendation: a movie, its score, and what its reason refers to (put into words when served). */
export type RecommendationResult = ScoredMovie;

/** The location columns of candidates and jobs, as the Location type. */
export interface LocationValue {
  city: string;
  lat: number;
  lng: number;
}
