-- Rate limits and sign-in throttles, shared by every instance on the database and kept across
-- restarts. One row per (scope, key): a GCRA bucket (`until_ms` is its theoretical arrival
-- time) or a back-off (`count` failures, no attempt before `until_ms`). Times are
-- milliseconds since the Unix epoch, so that one statement does the arithmetic on both
-- databases. A row past `expires_ms` says nothing any more and is purged.
CREATE TABLE rate_limits (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    count INTEGER NOT NULL,
    until_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX rate_limits_expires_idx ON rate_limits (expires_ms);
