/**
 * One server under benchmark, as a child process: the gateway in a CACHE mode
 * (BENCH_MODE=off|l1|l1+l2), or the execution ceiling (BENCH_MODE=ceiling): the same schema
 * and type resolvers, with root fields that return constants. Prints "listening <port>".
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { loadConfig } from '../src/config.js';
import { createPool } from '../src/db/pool.js';
import { startGateway } from '../src/gateway.js';
import { setLogLevel } from '../src/log.js';
import { readTypeDefs } from '../src/server/schema.js';
import { resolvers } from '../resolvers/index.js';

setLogLevel('error');
const mode = process.env.BENCH_MODE ?? 'l1';

if (mode === 'ceiling') {
  const movie = (id: number) => ({ id, title: `Movie ${id}`, year: 2000, genres: ['Drama'], avg_rating: 3.5, rating_count: 10 });
  const schema = makeExecutableSchema({
    typeDefs: readTypeDefs(),
    resolvers: {
      ...resolvers,
      Query: {
        movie: (_: unknown, { id }: { id: string }) => movie(Number(id)),
        movies: (_: unknown, { ids }: { ids: string[] }) => ids.map((id) => movie(Number(id))),
        popularMovies: (_: unknown, { limit }: { limit: number }) => Array.from({ length: limit }, (_, i) => movie(i + 1)),
        travelTime: () => ({ minutes: 42, distanceKm: 30 }),
        candidate: (_: unknown, { id }: { id: string }) => ({
          id: Number(id), name: 'Ana', title: 'Engineer', skills: ['Go'], years_experience: 3, sector: 'Technology',
          salary_expectation: 50000, city: 'Lyon', lat: 45.76, lng: 4.83,
        }),
      },
    } as never,
  });
  const apollo = new ApolloServer({ schema });
  await apollo.start();
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = new HeaderMap();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method!, headers, search: '', body: JSON.parse(Buffer.concat(chunks).toString() || '{}') },
      context: async () => ({}),
    });
    res.statusCode = response.status ?? 200;
    res.setHeader('content-type', 'application/json');
    res.end(response.body.kind === 'complete' ? response.body.string : '');
  });
  server.listen(0, '127.0.0.1', () => console.log(`listening ${(server.address() as AddressInfo).port}`));
} else {
  const config = loadConfig({
    NODE_ENV: 'production',
    JWT_SECRET: 'bench-secret',
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: process.env.DATABASE_URL,
    CACHE: mode,
    ...(mode === 'l1+l2' ? { REDIS_URL: process.env.REDIS_URL } : {}),
    LOG_LEVEL: 'error',
  });
  const db = createPool(config.database.url!, config.database);
  const gateway = await startGateway(config, db);
  console.log(`listening ${gateway.port}`);
}
