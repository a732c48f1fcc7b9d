/**
 * The per-request loaders: entities by id (one batched statement per type per tick) and the
 * computed fields, all served through the cache tiers — L1, then L2, then Postgres or the
 * engine — with the TTL the schema gives. Made fresh for every request: nothing here
 * outlives it but what the tiers keep.
 */
import type { Db } from '../db/pool.js';
import type { Cache } from '../cache/index.js';
import type { TierSet } from '../cache/tieredLoader.js';
import { entityLoaders } from './entities.js';
import { computedLoaders, type Engines } from './computed.js';

export type Loaders = ReturnType<typeof entityLoaders> & ReturnType<typeof computedLoaders>;

export function createLoaders(db: Db, cache: Cache, tiers: TierSet, engines: Engines): Loaders {
  const entities = entityLoaders(db, cache, tiers);
  return { ...entities, ...computedLoaders(db, cache, tiers, engines, entities) };
}

/** Forgets what this request's loaders read: after a write, later fields of the operation read anew. */
export function forgetAll(loaders: Loaders): void {
  for (const loader of Object.values(loaders)) loader.clearAll();
}
