/**
 * Distances and travel times. Travel time comes from the great-circle (haversine) distance,
 * a detour factor for roads, and a speed that grows with the trip's length.
 */
export interface GeoPoint {
  lat: number;
  lng: number;
}

const EARTH_RADIUS_KM = 6371.0088;
/** Roads are longer than the great circle; 1.3 is the usual factor for European road networks. */
const ROAD_DETOUR_FACTOR = 1.3;

/** Great-circle distance between two points, in km. */
export function haversineKm(from: GeoPoint, to: GeoPoint): number {
  const toRad = Math.PI / 180;
  const dLat = (to.lat - from.lat) * toRad;
  const dLng = (to.lng - from.lng) * toRad;
  const a =
    Math.sin(dLat / 2) ** 2 + Math.cos(from.lat * toRad) * Math.cos(to.lat * toRad) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}

/**
 * Minutes by road for a great-circle distance: city traffic (25 km/h) for the first 10 km of
 * road, then 60 km/h up to 50 km, then motorway (100 km/h), plus 5 minutes to set off.
 */
export function travelMinutesForKm(distanceKm: number): number {
  if (distanceKm < 0.01) return 0;
  let road = distanceKm * ROAD_DETOUR_FACTOR;
  let minutes = 5;
  const stretches: Array<[km: number, kmPerHour: number]> = [
    [10, 25],
    [40, 60],
    [Infinity, 100],
  ];
  for (const [km, speed] of stretches) {
    const part = Math.min(road, km);
    minutes += (part / speed) * 60;
    road -= part;
    if (road <= 0) break;
  }
  return minutes;
}

/** Distance and travel time between two points, rounded to 0.1 min and 0.01 km. */
export function travelTime(from: GeoPoint, to: GeoPoint): { minutes: number; distanceKm: number } {
  const distanceKm = haversineKm(from, to);
  return { minutes: round(travelMinutesForKm(distanceKm), 1), distanceKm: round(distanceKm, 2) };
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
