-- Gift memberships: bought once through Checkout (the row is made when the payment is
-- processed, never before), delivered by email on their date with a single-use redeem link
-- (its hash is kept), redeemed into a membership that counts until the gift ends.
CREATE TABLE gifts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    tier_id INTEGER REFERENCES tiers (id) ON DELETE SET NULL,
    months INTEGER NOT NULL CHECK (months IN (1, 3, 6, 12)),
    amount BIGINT NOT NULL,
    amount_refunded BIGINT NOT NULL DEFAULT 0,
    currency TEXT NOT NULL,
    buyer_email TEXT NOT NULL,
    recipient_email TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    lang TEXT NOT NULL DEFAULT 'en',
    deliver_on TIMESTAMP NOT NULL,
    token_hash TEXT NOT NULL,
    stripe_checkout_session_id TEXT NOT NULL,
    stripe_payment_intent_id TEXT,
    paid_at TIMESTAMP NOT NULL,
    redeemed_at TIMESTAMP,
    member_id INTEGER REFERENCES members (id) ON DELETE SET NULL,
    membership_id INTEGER REFERENCES memberships (id) ON DELETE SET NULL,
    ends_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT gifts_token_hash_key UNIQUE (token_hash),
    CONSTRAINT gifts_checkout_key UNIQUE (stripe_checkout_session_id)
);
CREATE INDEX gifts_campaign_idx ON gifts (campaign_id, paid_at);
CREATE INDEX gifts_payment_intent_idx ON gifts (stripe_payment_intent_id);
