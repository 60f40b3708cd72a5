-- Why members cancel, asked on the account page before they do: a reason from a short list
-- (NULL: they gave none), an optional note, and whether they took the offer the outlet made
-- instead of cancelling.
CREATE TABLE cancellations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    membership_id INTEGER NOT NULL REFERENCES memberships (id) ON DELETE CASCADE,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    reason TEXT
        CHECK (reason IN ('price', 'not_reading', 'coverage', 'finances', 'elsewhere', 'other')),
    note TEXT NOT NULL DEFAULT '',
    offer_accepted BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX cancellations_campaign_idx ON cancellations (campaign_id, created_at);
CREATE INDEX cancellations_membership_idx ON cancellations (membership_id);
