import type { MatchingStatsResolvers } from '../src/generated/resolverTypes.js';

export const MatchingStats: MatchingStatsResolvers = {
  totalMatches: (row) => row.total_matches,
  avgScore: (row) => row.avg_score,
  p95Score: (row) => row.p95_score,
};
