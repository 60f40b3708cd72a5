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

CREATE TRIGGER jobs_tally_insert AFTER INSERT ON jobs
WHEN NEW.status = 'done'
BEGIN
    INSERT INTO job_tallies (kind, done) VALUES (NEW.kind, 1);
END;
CREATE TRIGGER jobs_tally_update AFTER UPDATE OF status ON jobs
WHEN (OLD.status = 'done') <> (NEW.status = 'done')
BEGIN
    INSERT INTO job_tallies (kind, done)
    VALUES (NEW.kind, CASE WHEN NEW.status = 'done' THEN 1 ELSE -1 END);
END;
CREATE TRIGGER jobs_tally_delete AFTER DELETE ON jobs
WHEN OLD.status = 'done'
BEGIN
    INSERT INTO job_tallies (kind, done) VALUES (OLD.kind, -1);
END;
