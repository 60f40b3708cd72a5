-- Addresses we send nothing more to (a hard bounce) or no more newsletters (a complaint),
-- from the SMTP server's own 5xx answers and from the providers' webhooks.
CREATE TABLE suppressions (
    email TEXT PRIMARY KEY,
    reason TEXT NOT NULL CHECK (reason IN ('bounce', 'complaint')),
    source TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);
CREATE INDEX suppressions_created_idx ON suppressions (created_at);
