/**
 * Distances and travel times. Travel time comes from the great-circle (haversine) distance,
 * a detour factor for roads, and a speed that grows with the trip's length: the road model,
 * geo data that operators tune per region (the road_model table; a change is GeoDataUpdated).
 */
export interface GeoPoint {
  lat: number;
  lng: number;
}

/** How a great-circle distance becomes minutes by road. */
export interface RoadModel {
  /** Road length over great-circle distance. */
  detourFactor: number;
  /** Minutes added to every trip that goes anywhere. */
  setOffMinutes: number;
  /** Successive stretches of road, [km, km/h]; the last one's km is Infinity. */
  stretches: Array<[km: number, kmPerHour: number]>;
}

/**
 * The model the road_model table starts with (db/migrations/004_road_model.sql): roads 1.3
 * times the great circle (the usual factor for European networks), 5 minutes to set off, city
 * traffic (25 km/h) for the first 10 km of road, then 60 km/h up to 50 km, then motorway (100 km/h).
 */
export const STANDARD_ROADS: RoadModel = {
  detourFactor: 1.3,
  setOffMinutes: 5,
  stretches: [
    [10, 25],
    [40, 60],
    [Infinity, 100],
  ],
};

const EARTH_RADIUS_KM = 6371.0088;

/** Great-circle distance between two points, in km. */
export function haversineKm(from: GeoPoint, to: GeoPoint): number {
  const toRad = Math.PI / 180;
  const dLat = (to.lat - from.lat) * toRad;
  const dLng = (to.lng - from.lng) * toRad;
  const a =
    Math.sin(dLat / 2) ** 2 + Math.cos(from.lat * toRad) * Math.cos(to.lat * toRad) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** Minutes by road for a great-circle distance, under `roads`. */
export function travelMinutesForKm(distanceKm: number, roads: RoadModel = STANDARD_ROADS): number {
  if (distanceKm < 0.01) return 0;
  let road = distanceKm * roads.detourFactor;
  let minutes = roads.setOffMinutes;
  for (const [km, speed] of roads.stretches) {
    const part = Math.min(road, km);
    minutes += (part / speed) * 60;
    road -= part;
    if (road <= 0) break;
  }
  return minutes;
}

/** Distance and travel time between two points, rounded to 0.1 min and 0.01 km. */
export function travelTime(from: GeoPoint, to: GeoPoint, roads: RoadModel = STANDARD_ROADS): { minutes: number; distanceKm: number } {
  const distanceKm = haversineKm(from, to);
  return { minutes: round(travelMinutesForKm(distanceKm, roads), 1), distanceKm: round(distanceKm, 2) };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Checks a point's coordinates; returns a sentence naming the bad one, or undefined. */
export function invalidCoordinates(point: GeoPoint): string | undefined {
  if (!Number.isFinite(point.lat) || point.lat < -90 || point.lat > 90) return `lat must be from -90 to 90; got ${point.lat}`;
  if (!Number.isFinite(point.lng) || point.lng < -180 || point.lng > 180)
    return `lng must be from -180 to 180; got ${point.lng}`;
  return undefined;
}
