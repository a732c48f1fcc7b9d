import type { JobResolvers } from '../src/generated/resolverTypes.js';
import { requiredNow } from './load.js';

export const Job: JobResolvers = {
  id: (job) => String(job.id),
  requiredSkills: (job) => job.required_skills,
  minYearsExperience: (job) => job.min_years_experience,
  salaryMin: (job) => job.salary_min,
  salaryMax: (job) => job.salary_max,
  company: (job, _, ctx) => requiredNow(ctx.loaders.company.fetchReference(job.company_id), 'Company', job.company_id),
  location: ({ city, lat, lng }) => ({ city, lat, lng }),
};
