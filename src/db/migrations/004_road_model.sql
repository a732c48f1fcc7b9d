-- Geo data: how a distance becomes a travel time (engine/geo.ts RoadModel), one row that
-- operators tune for their region. Travel times and every match score depend on it, so a
-- change to it is recorded in the change outbox like any write that bypasses the gateway,
-- and becomes a GeoDataUpdated event: every travel time and match is invalidated.
CREATE TABLE road_model (
  id              int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  detour_factor   double precision NOT NULL CHECK (detour_factor >= 1),
  set_off_minutes double precision NOT NULL CHECK (set_off_minutes >= 0),
  city_km         double precision NOT NULL CHECK (city_km > 0),
  city_kmh        double precision NOT NULL CHECK (city_kmh > 0),
  regional_km     double precision NOT NULL CHECK (regional_km > 0),
  regional_kmh    double precision NOT NULL CHECK (regional_kmh > 0),
  motorway_kmh    double precision NOT NULL CHECK (motorway_kmh > 0)
);

-- engine/geo.ts STANDARD_ROADS.
INSERT INTO road_model (detour_factor, set_off_minutes, city_km, city_kmh, regional_km, regional_kmh, motorway_kmh)
VALUES (1.3, 5, 10, 25, 40, 60, 100);

CREATE TRIGGER road_model_changes AFTER INSERT OR UPDATE OR DELETE ON road_model FOR EACH ROW EXECUTE FUNCTION record_change();
