-- How many jobs of each kind are done, kept as it changes: counting them in `jobs` reads a
-- row per email ever sent (0.3–0.8 s at a million), and the outbox gauges of `/metrics` ask
-- every two seconds on every instance. The triggers only add a row (+1 or -1) per change,
-- so completions never wait for each other on a shared row; `jobs::fold_tallies` sums the
-- rows into one per kind. No key: nothing looks a row up, and a serial would run out.
CREATE TABLE job_tallies (
    kind TEXT NOT NULL,
    done BIGINT NOT NULL
);
INSERT INTO job_tallies (kind, done)
SELECT kind, count(*) FROM jobs WHERE status = 'done' GROUP BY kind;

CREATE FUNCTION jobs_tally_done() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO job_tallies (kind, done) VALUES (OLD.kind, -1);
    ELSIF NEW.status = 'done' THEN
        INSERT INTO job_tallies (kind, done) VALUES (NEW.kind, 1);
    ELSE
        INSERT INTO job_tallies (kind, done) VALUES (NEW.kind, -1);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER jobs_tally_insert AFTER INSERT ON jobs FOR EACH ROW
    WHEN (NEW.status = 'done') EXECUTE FUNCTION jobs_tally_done();
CREATE TRIGGER jobs_tally_update AFTER UPDATE OF status ON jobs FOR EACH ROW
    WHEN ((OLD.status = 'done') <> (NEW.status = 'done')) EXECUTE FUNCTION jobs_tally_done();
CREATE TRIGGER jobs_tally_delete AFTER DELETE ON jobs FOR EACH ROW
    WHEN (OLD.status = 'done') EXECUTE FUNCTION jobs_tally_done();
