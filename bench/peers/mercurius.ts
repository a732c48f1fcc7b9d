/**
 * Mercurius on Fastify, PEER_CACHE=redis: with mercurius-cache over Redis, a TTL per root
 * field from the schema's @cacheControl hints; =constant: the ceiling, resolvers returning
 * constants, no cache.
 */
import Fastify from 'fastify';
import mercurius from 'mercurius';
import mercuriusCache from 'mercurius-cache';
import { Redis } from 'ioredis';
import { SchemaCachePolicy } from '../../src/cache/policy.js';
import { announce, strataResolvers } from './strataResolvers.js';
import { ttlsOf } from './ttls.js';

const mode = process.env.PEER_CACHE ?? 'redis';
const { schema, context } = await strataResolvers({ constant: mode === 'constant' });
const app = Fastify({ logger: false });
await app.register(mercurius, { schema, context: () => context(), graphiql: false });
if (mode === 'redis') {
  const { perField } = ttlsOf(schema, new SchemaCachePolicy(schema));
  const policy: Record<string, Record<string, { ttl: number }>> = {};
  for (const [coordinate, ttl] of Object.entries(perField)) {
    const [type, field] = coordinate.split('.');
    if (type === 'Query') (policy.Query ??= {})[field] = { ttl: ttl / 1000 };
  }
  await app.register(mercuriusCache as never, { ttl: 0, policy, storage: { type: 'redis', options: { client: new Redis(process.env.REDIS_URL!), invalidation: false } } });
}
await app.listen({ port: 0, host: '127.0.0.1' });
announce((app.server.address() as { port: number }).port);
