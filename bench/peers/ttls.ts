/** The schema's @cacheControl hints as the peers' caches take them: milliseconds per type and per field. */
import { isObjectType, type GraphQLSchema } from 'graphql';
import type { SchemaCachePolicy } from '../../src/cache/policy.js';

export function ttlsOf(schema: GraphQLSchema, policy: SchemaCachePolicy): { perType: Record<string, number>; perField: Record<string, number> } {
  const perType: Record<string, number> = {};
  const perField: Record<string, number> = {};
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__') || type.name === 'Mutation' || type.name === 'Subscription') continue;
    if (type.name !== 'Query') perType[type.name] = policy.forType(type.name).ttlMs;
    for (const field of Object.keys(type.getFields())) {
      const { ttlMs, scope } = policy.forField(`${type.name}.${field}`);
      // A PRIVATE field is not for a shared cache: 0 keeps it out.
      perField[`${type.name}.${field}`] = scope === 'PRIVATE' ? 0 : ttlMs;
    }
  }
  return { perType, perField };
}
