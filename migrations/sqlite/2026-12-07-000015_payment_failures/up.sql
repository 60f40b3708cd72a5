-- Payments that failed, by the client that started their Checkout (a hash of its address,
-- kept in the Checkout's metadata): card testers try card after card from one place, and a
-- client with many failures is refused new Checkouts for a while (payments/failures.rs).
-- One row per Stripe event, so that an event processed twice counts once. Staff may clear a
-- client's failures (cleared_at); rows are purged 30 days after the failure.
CREATE TABLE payment_failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    stripe_event_id TEXT NOT NULL,
    client TEXT NOT NULL,
    campaign_id INTEGER REFERENCES campaigns (id) ON DELETE SET NULL,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    reason TEXT,
    failed_at TIMESTAMP NOT NULL,
    cleared_at TIMESTAMP,
    CONSTRAINT payment_failures_event_key UNIQUE (stripe_event_id)
);
CREATE INDEX payment_failures_client_idx ON payment_failures (client, failed_at);
CREATE INDEX payment_failures_failed_idx ON payment_failures (failed_at);
