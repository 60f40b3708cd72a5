-- An edition may be paused by staff (newsletters/editions/control.rs). SQLite cannot change a
-- CHECK constraint: the table is rebuilt with the new one.
CREATE TABLE editions_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    newsletter_id INTEGER NOT NULL REFERENCES newsletters (id) ON DELETE CASCADE,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'scheduled'
        CHECK (status IN ('scheduled', 'sending', 'sent', 'paused', 'cancelled')),
    send_at TIMESTAMP NOT NULL,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    cursor INTEGER NOT NULL DEFAULT 0,
    queued INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO editions_rebuilt SELECT id, newsletter_id, subject, body, status, send_at, started_at,
    finished_at, cursor, queued, created_by, created_at FROM editions;
DROP TABLE editions;
ALTER TABLE editions_rebuilt RENAME TO editions;
CREATE INDEX editions_newsletter_idx ON editions (newsletter_id, created_at);
