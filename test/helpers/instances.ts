/**
 * In-process gateways over one seeded database and one redis-server of the test's own: what
 * several instances of a deployment share, for fault tests that reach into each instance.
 */
import { startTestGateway, dataOf, type TestGateway } from './gateway.js';
import { startTestRedis, type TestRedis } from './testRedis.js';
import { createTestDatabase, type TestDatabase } from './testDb.js';
import { startTestRedisCluster, type TestRedisCluster } from './testRedisCluster.js';

export interface SharedInstances {
  redis: TestRedis;
  database: TestDatabase;
  instances: TestGateway[];
  /** Stops the instances, then drops the database and stops Redis. */
  stop(): Promise<void>;
}

/** `count` gateways, `env` on each, over a new database (scale 0.05) and a new redis-server. */
export async function startSharedInstances(count: number, env: Record<string, string> = {}): Promise<SharedInstances> {
  const redis = await startTestRedis();
  const database = await createTestDatabase({ scale: 0.05 });
  const instances: TestGateway[] = [];
  for (let i = 0; i < count; i++) instances.push(await startTestGateway({ database, redisUrl: redis.url, env }));
  return {
    redis,
    database,
    instances,
    async stop() {
      for (const instance of instances) await instance.stop();
      await database.drop();
      await redis.stop();
    },
  };
}

export interface ClusterInstances {
  cluster: TestRedisCluster;
  /** Two in-process gateways over one new database, both on `cluster`. */
  instances: [TestGateway, TestGateway];
  stop(): Promise<void>;
}

/** Two gateways on a Redis Cluster of the test's own (`nodeTimeoutMs`: its cluster-node-timeout). */
export async function startClusterInstances(nodeTimeoutMs: number): Promise<ClusterInstances> {
  const cluster = await startTestRedisCluster({ nodeTimeoutMs });
  const env = { REDIS_CLUSTER_NODES: cluster.nodesSetting };
  const a = await startTestGateway({ env });
  const b = await startTestGateway({ env, database: a.database });
  return {
    cluster,
    instances: [a, b],
    async stop() {
      await b.stop();
      await a.stop();
      await cluster.stop();
    },
  };
}

/** A candidate's title as `gw` answers it now. */
export async function candidateTitle(gw: TestGateway, id: number): Promise<string> {
  return dataOf<{ candidate: { title: string } }>(await gw.post(`{ candidate(id: "${id}") { title } }`)).candidate.title;
}

/**
 * Makes the recommendation engine of each of `gateways` slow (`delayMs` per call), so every
 * request of a herd arrives while it computes; `calls` counts the engine's runs on all of them.
 */
export function slowRecommender(gateways: TestGateway[], delayMs = 300): { calls: number } {
  const counter = { calls: 0 };
  for (const gw of gateways) {
    const recommender = gw.gateway.services.recommender;
    const recommend = recommender.recommend.bind(recommender);
    recommender.recommend = async (...args) => {
      counter.calls++;
      await new Promise((r) => setTimeout(r, delayMs));
      return recommend(...args);
    };
  }
  return counter;
}
