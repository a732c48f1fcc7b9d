-- When each materialized view was last refreshed, and how long it took. Shared by every
-- instance: the scheduler refreshes a view once per interval whichever instance's timer fires
-- first (db/views.ts), and /ready and /metrics report it.
CREATE TABLE view_refreshes (
  view text PRIMARY KEY,
  refreshed_at timestamptz NOT NULL,
  duration_ms integer NOT NULL
);
