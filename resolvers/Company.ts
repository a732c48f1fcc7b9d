import type { CompanyResolvers } from '../src/generated/resolverTypes.js';

export const Company: CompanyResolvers = {
  id: (company) => String(company.id),
};
