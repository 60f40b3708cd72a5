-- A reader's intent to pay, recorded before we send them to Stripe Checkout. Its id is the
-- idempotency key of the Checkout Session, and the webhook finds it again through
-- `client_reference_id`, so the article that sent the reader (`ref_url`) reaches the membership.
CREATE TABLE signups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    tier_id INTEGER REFERENCES tiers (id) ON DELETE SET NULL,
    billing_interval TEXT NOT NULL,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    ref_url TEXT,
    status TEXT NOT NULL DEFAULT 'pending',
    stripe_checkout_session_id TEXT,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    completed_at TIMESTAMP,
    CONSTRAINT signups_stripe_checkout_session_id_key UNIQUE (stripe_checkout_session_id),
    CONSTRAINT signups_interval_check CHECK (billing_interval IN ('month', 'year', 'once'))
);
CREATE INDEX signups_member_idx ON signups (member_id);
