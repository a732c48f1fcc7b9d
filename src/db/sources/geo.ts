/** Geo data: the road model travel times are computed with. */
import type { Db } from '../pool.js';
import { STANDARD_ROADS, type RoadModel } from '../../engine/geo.js';
import { logger } from '../../log.js';

const log = logger('db.geo');

export async function roadModel(db: Db): Promise<RoadModel> {
  const { rows } = await db.query<Record<'detour_factor' | 'set_off_minutes' | 'city_km' | 'city_kmh' | 'regional_km' | 'regional_kmh' | 'motorway_kmh', number>>(
    'SELECT detour_factor, set_off_minutes, city_km, city_kmh, regional_km, regional_kmh, motorway_kmh FROM road_model WHERE id = 1',
  );
  const row = rows[0];
  if (!row) {
    log.warn('road_model has no row; travel times use the standard model until one is inserted', { standard: STANDARD_ROADS });
    return STANDARD_ROADS;
  }
  return {
    detourFactor: row.detour_factor,
    setOffMinutes: row.set_off_minutes,
    stretches: [
      [row.city_km, row.city_kmh],
      [row.regional_km, row.regional_kmh],
      [Infinity, row.motorway_kmh],
    ],
  };
}
