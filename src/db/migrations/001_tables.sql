-- The entities of both domains. Every table carries updated_at, kept by a trigger so
-- that writes which bypass the gateway (psql, another service) are seen too.

CREATE OR REPLACE FUNCTION touch_updated_at() RETURNS trigger AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TABLE companies (
  id         serial PRIMARY KEY,
  name       text NOT NULL,
  sector     text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE candidates (
  id                 serial PRIMARY KEY,
  name               text NOT NULL,
  title              text NOT NULL,
  skills             text[] NOT NULL,
  years_experience   integer NOT NULL CHECK (years_experience >= 0),
  sector             text NOT NULL,
  salary_expectation integer NOT NULL CHECK (salary_expectation >= 0),
  city               text NOT NULL,
  lat                double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
  lng                double precision NOT NULL CHECK (lng BETWEEN -180 AND 180),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX candidates_updated_at ON candidates (updated_at);

CREATE TABLE jobs (
  id                   serial PRIMARY KEY,
  company_id           integer NOT NULL REFERENCES companies (id),
  title                text NOT NULL,
  sector               text NOT NULL,
  required_skills      text[] NOT NULL,
  min_years_experience integer NOT NULL CHECK (min_years_experience >= 0),
  remote               boolean NOT NULL DEFAULT false,
  salary_min           integer NOT NULL CHECK (salary_min >= 0),
  salary_max           integer NOT NULL,
  city                 text NOT NULL,
  lat                  double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
  lng                  double precision NOT NULL CHECK (lng BETWEEN -180 AND 180),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  CHECK (salary_max >= salary_min)
);
CREATE INDEX jobs_sector ON jobs (sector, id);
CREATE INDEX jobs_updated_at ON jobs (updated_at);

-- The match history that the statistics aggregate (seed 000: mv_matching_stats).
CREATE TABLE matches (
  id           bigserial PRIMARY KEY,
  candidate_id integer NOT NULL REFERENCES candidates (id),
  job_id       integer NOT NULL REFERENCES jobs (id),
  algorithm    text NOT NULL,
  score        real NOT NULL CHECK (score BETWEEN 0 AND 1),
  computed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX matches_computed_at ON matches (computed_at);

CREATE TABLE algorithm_weights (
  algorithm  text PRIMARY KEY,
  skills     double precision NOT NULL CHECK (skills >= 0),
  experience double precision NOT NULL CHECK (experience >= 0),
  location   double precision NOT NULL CHECK (location >= 0),
  salary     double precision NOT NULL CHECK (salary >= 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (skills + experience + location + salary > 0)
);
INSERT INTO algorithm_weights (algorithm, skills, experience, location, salary) VALUES
  ('WEIGHTED',    0.40, 0.20, 0.25, 0.15),
  ('SKILLS_ONLY', 1.00, 0.00, 0.00, 0.00),
  ('GEO_FIRST',   0.20, 0.10, 0.60, 0.10);

CREATE TABLE movies (
  id         serial PRIMARY KEY,
  title      text NOT NULL,
  year       integer NOT NULL,
  genres     text[] NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id            serial PRIMARY KEY,
  name          text NOT NULL,
  email         text NOT NULL UNIQUE,
  is_power_user boolean NOT NULL DEFAULT false,
  updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ratings (
  user_id  integer NOT NULL REFERENCES users (id),
  movie_id integer NOT NULL REFERENCES movies (id),
  rating   numeric(2, 1) NOT NULL CHECK (rating BETWEEN 0.5 AND 5.0 AND rating * 2 = trunc(rating * 2)),
  rated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, movie_id)
);
CREATE INDEX ratings_movie ON ratings (movie_id) INCLUDE (rating);

CREATE TRIGGER companies_touch BEFORE UPDATE ON companies FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER candidates_touch BEFORE UPDATE ON candidates FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER jobs_touch BEFORE UPDATE ON jobs FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER algorithm_weights_touch BEFORE UPDATE ON algorithm_weights FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER movies_touch BEFORE UPDATE ON movies FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
