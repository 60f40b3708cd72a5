-- Endpoints of the outlet's other tools (CRM, ESP, analytics, chat) that receive events
-- (webhooks/mod.rs). `events` lists the event types it receives, space-separated; `secret`
-- signs each delivery (Standard Webhooks, `whsec_…`); after a rotation the previous secret
-- also signs until `previous_secret_until`, so the receiver can switch without losing one.
-- A disabled endpoint gets no new deliveries. Deliveries are jobs of kind `webhook`.
CREATE TABLE webhook_endpoints (
    id SERIAL PRIMARY KEY,
    url TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_until TIMESTAMP,
    disabled_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
