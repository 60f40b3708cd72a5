-- Newsletter editions: written in Markdown, sent (or scheduled) to the newsletter's
-- confirmed subscribers. Sending walks the subscribers in id order from `cursor`, a batch per
-- transaction, queueing one email per (edition, subscriber) under a unique key, so a crash or
-- a second instance resumes where the last batch committed and never sends twice.
CREATE TABLE editions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    newsletter_id INTEGER NOT NULL REFERENCES newsletters (id) ON DELETE CASCADE,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'scheduled'
        CHECK (status IN ('scheduled', 'sending', 'sent', 'cancelled')),
    send_at TIMESTAMP NOT NULL,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    cursor INTEGER NOT NULL DEFAULT 0,
    queued INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX editions_newsletter_idx ON editions (newsletter_id, created_at);
-- The walk: a newsletter's confirmed subscribers in id order.
CREATE INDEX newsletter_subscriptions_confirmed_idx
    ON newsletter_subscriptions (newsletter_id, subscriber_id) WHERE status = 'confirmed';
