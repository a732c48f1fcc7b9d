/**
 * The per-request loaders: entities by id (one batched statement per type per tick) and the
 * computed fields, all served through the cache tiers — L1, then L2, then Postgres or the
 * engine — with the TTL the schema gives. The specs are built once per instance; a request
 * gets a DataLoader only for what it asks for (most ask for two or three of twenty).
 */
import type { Db } from '../db/pool.js';
import type { Cache } from '../cache/index.js';
import { createTieredLoader, type TierSet, type TieredLoader, type TieredLoaderSpec } from '../cache/tieredLoader.js';
import { entitySpecs } from './entities.js';
import { computedSpecs, type Engines } from './computed.js';

type LoadersOf<Specs> = {
  readonly [Name in keyof Specs]: Specs[Name] extends TieredLoaderSpec<infer K, infer V, any> ? TieredLoader<K, V> : never;
};

export type EntityLoaders = LoadersOf<ReturnType<typeof entitySpecs>>;
export type Loaders = EntityLoaders &
  LoadersOf<ReturnType<typeof computedSpecs>> & {
    /** Forgets what this request's loaders read: after a write, later fields of the operation read anew. */
    forgetAll(): void;
  };

/** Makes each request's loaders; built once per instance. */
export function loaderFactory(db: Db, cache: Cache, engines: Engines): (tiers: TierSet) => Loaders {
  const specs: Record<string, TieredLoaderSpec<any, any, any>> = { ...entitySpecs(db, cache), ...computedSpecs(db, cache, engines) };
  // Each name a getter on a shared prototype: a request's loader is made on first use.
  class RequestLoaders {
    private readonly made = new Map<string, TieredLoader<any, any>>();
    constructor(private readonly tiers: TierSet) {}
    forgetAll(): void {
      for (const loader of this.made.values()) loader.clearAll();
    }
  }
  for (const name of Object.keys(specs)) {
    Object.defineProperty(RequestLoaders.prototype, name, {
      get(this: { made: Map<string, TieredLoader<any, any>>; tiers: TierSet }) {
        let loader = this.made.get(name);
        if (!loader) this.made.set(name, (loader = createTieredLoader(specs[name], this.tiers, this)));
        return loader;
      },
    });
  }
  return (tiers) => new RequestLoaders(tiers) as unknown as Loaders;
}
