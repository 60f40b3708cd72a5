-- "Remind me later" from the widget: an address for one reminder about a campaign, 7 days
-- after the reader confirms it (double opt-in; the link's hash is kept). Nothing else is
-- ever sent to it; the row is purged 30 days after it was made.
CREATE TABLE later_reminders (
    id SERIAL PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    lang TEXT NOT NULL,
    ref_url TEXT,
    token_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    confirmed_at TIMESTAMP,
    CONSTRAINT later_reminders_token_key UNIQUE (token_hash)
);
CREATE INDEX later_reminders_email_idx ON later_reminders (campaign_id, email);
CREATE INDEX later_reminders_created_idx ON later_reminders (created_at);
