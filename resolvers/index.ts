/** Every type's resolvers, merged into the one map the schema is built with. */
import type { Resolvers } from '../src/generated/resolverTypes.js';
import { Candidate } from './Candidate.js';
import { Company } from './Company.js';
import { DateTime } from './DateTime.js';
import { Job } from './Job.js';
import { Match } from './Match.js';
import { MatchingStats } from './MatchingStats.js';
import { Movie } from './Movie.js';
import { Mutation } from './Mutation.js';
import { Query } from './Query.js';
import { Rating } from './Rating.js';
import { Recommendation } from './Recommendation.js';
import { Subscription } from './Subscription.js';
import { User } from './User.js';
import { UserProfile } from './UserProfile.js';

export const resolvers: Resolvers = {
  Query,
  Mutation,
  Subscription,
  DateTime,
  Movie,
  User,
  UserProfile,
  Recommendation,
  Rating,
  Candidate,
  Job,
  Company,
  Match,
  MatchingStats,
};
