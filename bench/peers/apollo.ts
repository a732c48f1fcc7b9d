/**
 * Apollo Server 5 (standalone), PEER_CACHE=redis: with @apollo/server-plugin-response-cache
 * over Redis (Keyv), the @cacheControl hints of the schema deciding what it keeps; =off: no
 * response cache; =constant: the ceiling, resolvers returning constants. APQ on (Apollo's
 * default), in the same Redis when there is one.
 */
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { ApolloServerPluginCacheControl } from '@apollo/server/plugin/cacheControl';
import responseCachePlugin from '@apollo/server-plugin-response-cache';
import { KeyvAdapter } from '@apollo/utils.keyvadapter';
import Keyv from 'keyv';
import KeyvRedis from '@keyv/redis';
import { announce, strataResolvers } from './strataResolvers.js';

const mode = process.env.PEER_CACHE ?? 'redis';
const { schema, context } = await strataResolvers({ constant: mode === 'constant' });
const server = new ApolloServer({
  schema,
  // Keyv is typed twice (the adapter's copy and ours): one value, two declarations.
  ...(mode === 'redis' ? { cache: new KeyvAdapter(new Keyv({ store: new KeyvRedis(process.env.REDIS_URL!) }) as never) } : {}),
  plugins: [ApolloServerPluginCacheControl({ defaultMaxAge: 0 }), ...(mode === 'redis' ? [responseCachePlugin()] : [])],
});
const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' }, context });
announce(Number(new URL(url).port));
