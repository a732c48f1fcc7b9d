/**
 * GraphQL Yoga 5 with @graphql-yoga/plugin-response-cache over Redis
 * (@envelop/response-cache-redis): TTLs per type and root field from the schema's
 * @cacheControl hints; mutations invalidate the entities they return (its default).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createYoga } from 'graphql-yoga';
import { useResponseCache } from '@graphql-yoga/plugin-response-cache';
import { createRedisCache } from '@envelop/response-cache-redis';
import { Redis } from 'ioredis';
import { SchemaCachePolicy } from '../../src/cache/policy.js';
import { announce, strataResolvers } from './strataResolvers.js';
import { ttlsOf } from './ttls.js';

const { schema, context } = await strataResolvers();
const { perType, perField } = ttlsOf(schema, new SchemaCachePolicy(schema));
const yoga = createYoga({
  schema,
  context,
  logging: false,
  maskedErrors: false,
  plugins: [
    useResponseCache({
      session: () => null,
      cache: createRedisCache({ redis: new Redis(process.env.REDIS_URL!) }),
      ttl: 0,
      ttlPerSchemaCoordinate: { ...perType, ...perField },
    }),
  ],
});
const server = createServer(yoga);
server.listen(0, '127.0.0.1', () => announce((server.address() as AddressInfo).port));
