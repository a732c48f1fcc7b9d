import type { CandidateResolvers } from '../src/generated/resolverTypes.js';

export const Candidate: CandidateResolvers = {
  id: (candidate) => String(candidate.id),
  yearsExperience: (candidate) => candidate.years_experience,
  salaryExpectation: (candidate) => candidate.salary_expectation,
  location: ({ city, lat, lng }) => ({ city, lat, lng }),
};
