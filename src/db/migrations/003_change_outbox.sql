-- Writes that bypass the gateway (psql, another service) must not be served stale. A trigger
-- records each changed row's key in change_outbox, in the writing transaction, and NOTIFYs
-- strata_changes at its commit; the gateway instance holding the outbox lock reads the rows
-- back, invalidates what they name on every instance, and deletes them (pgListen.ts). The
-- rows outlive a missed notification or a listener that died: nothing is lost, and a row
-- read twice only invalidates twice.
--
-- The gateway's own transactions set strata.writer (db/pool.ts inTransaction): it invalidates
-- what they change before it answers, and a seed load needs no invalidating, so those writes
-- are not recorded.
CREATE TABLE change_outbox (
  id         bigserial PRIMARY KEY,
  table_name text NOT NULL,
  op         text NOT NULL,
  row_key    jsonb NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now()
);

CREATE OR REPLACE FUNCTION record_change() RETURNS trigger AS $$
DECLARE
  changed jsonb := CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END;
BEGIN
  IF coalesce(current_setting('strata.writer', true), '') <> '' THEN
    RETURN NULL;
  END IF;
  INSERT INTO change_outbox (table_name, op, row_key) VALUES (
    TG_TABLE_NAME,
    TG_OP,
    CASE TG_TABLE_NAME
      WHEN 'ratings' THEN jsonb_build_object('user_id', changed -> 'user_id', 'movie_id', changed -> 'movie_id')
      WHEN 'algorithm_weights' THEN jsonb_build_object('algorithm', changed -> 'algorithm')
      ELSE jsonb_build_object('id', changed -> 'id')
    END
  );
  -- Identical notifications of one transaction are folded into one by Postgres.
  PERFORM pg_notify('strata_changes', '');
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER companies_changes AFTER INSERT OR UPDATE OR DELETE ON companies FOR EACH ROW EXECUTE FUNCTION record_change();
CREATE TRIGGER candidates_changes AFTER INSERT OR UPDATE OR DELETE ON candidates FOR EACH ROW EXECUTE FUNCTION record_change();
CREATE TRIGGER jobs_changes AFTER INSERT OR UPDATE OR DELETE ON jobs FOR EACH ROW EXECUTE FUNCTION record_change();
CREATE TRIGGER algorithm_weights_changes AFTER INSERT OR UPDATE OR DELETE ON algorithm_weights FOR EACH ROW EXECUTE FUNCTION record_change();
CREATE TRIGGER movies_changes AFTER INSERT OR UPDATE OR DELETE ON movies FOR EACH ROW EXECUTE FUNCTION record_change();
CREATE TRIGGER users_changes AFTER INSERT OR UPDATE OR DELETE ON users FOR EACH ROW EXECUTE FUNCTION record_change();
CREATE TRIGGER ratings_changes AFTER INSERT OR UPDATE OR DELETE ON ratings FOR EACH ROW EXECUTE FUNCTION record_change();
