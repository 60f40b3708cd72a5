-- The whole product's first schema. Times are UTC `TIMESTAMP`; money is BIGINT minor units;
-- enums are TEXT so the same schema serves SQLite and PostgreSQL.

CREATE TABLE campaigns (
    id SERIAL PRIMARY KEY,
    slug TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    metric TEXT NOT NULL DEFAULT 'members',
    goal BIGINT NOT NULL,
    currency TEXT NOT NULL DEFAULT 'eur',
    starts_at TIMESTAMP,
    ends_at TIMESTAMP,
    milestones TEXT NOT NULL DEFAULT '[]',
    manual_offset BIGINT NOT NULL DEFAULT 0,
    donation_member_days INTEGER NOT NULL DEFAULT 0,
    min_amount BIGINT NOT NULL DEFAULT 100,
    max_amount BIGINT NOT NULL DEFAULT 1000000,
    donation_presets TEXT NOT NULL DEFAULT '[]',
    archived BOOLEAN NOT NULL DEFAULT FALSE,
    progress_count BIGINT NOT NULL DEFAULT 0,
    progress_version BIGINT NOT NULL DEFAULT 0,
    progress_updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT campaigns_slug_key UNIQUE (slug),
    CONSTRAINT campaigns_metric_check CHECK (metric IN ('members', 'amount', 'supporters')),
    CONSTRAINT campaigns_goal_check CHECK (goal > 0)
);

CREATE TABLE tiers (
    id SERIAL PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    monthly_amount BIGINT,
    yearly_amount BIGINT,
    position INTEGER NOT NULL DEFAULT 0,
    archived BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT tiers_campaign_slug_key UNIQUE (campaign_id, slug)
);

CREATE TABLE members (
    id SERIAL PRIMARY KEY,
    email TEXT NOT NULL,
    name TEXT,
    locale TEXT NOT NULL DEFAULT 'en',
    stripe_customer_id TEXT,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT members_email_key UNIQUE (email),
    CONSTRAINT members_stripe_customer_id_key UNIQUE (stripe_customer_id)
);

-- One row per recurring subscription (or per pending checkout of one).
-- `status` mirrors Stripe's subscription status; `pending` is ours (checkout not completed).
CREATE TABLE memberships (
    id SERIAL PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    tier_id INTEGER REFERENCES tiers (id) ON DELETE SET NULL,
    billing_interval TEXT NOT NULL,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    cancel_at_period_end BOOLEAN NOT NULL DEFAULT FALSE,
    current_period_end TIMESTAMP,
    stripe_subscription_id TEXT,
    stripe_checkout_session_id TEXT,
    ref_url TEXT,
    started_at TIMESTAMP,
    ended_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT memberships_stripe_subscription_id_key UNIQUE (stripe_subscription_id),
    CONSTRAINT memberships_stripe_checkout_session_id_key UNIQUE (stripe_checkout_session_id),
    CONSTRAINT memberships_interval_check CHECK (billing_interval IN ('month', 'year'))
);
CREATE INDEX memberships_campaign_status_idx ON memberships (campaign_id, status);
CREATE INDEX memberships_member_idx ON memberships (member_id);

-- Money received: subscription invoices and one-time donations.
CREATE TABLE payments (
    id SERIAL PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    membership_id INTEGER REFERENCES memberships (id) ON DELETE SET NULL,
    kind TEXT NOT NULL,
    amount BIGINT NOT NULL,
    amount_refunded BIGINT NOT NULL DEFAULT 0,
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    dispute_status TEXT,
    stripe_invoice_id TEXT,
    stripe_payment_intent_id TEXT,
    stripe_charge_id TEXT,
    ref_url TEXT,
    paid_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT payments_stripe_invoice_id_key UNIQUE (stripe_invoice_id),
    CONSTRAINT payments_stripe_payment_intent_id_key UNIQUE (stripe_payment_intent_id),
    CONSTRAINT payments_stripe_charge_id_key UNIQUE (stripe_charge_id),
    CONSTRAINT payments_kind_check CHECK (kind IN ('subscription', 'donation'))
);
CREATE INDEX payments_campaign_paid_idx ON payments (campaign_id, paid_at);
CREATE INDEX payments_membership_idx ON payments (membership_id);
CREATE INDEX payments_member_idx ON payments (member_id);

CREATE TABLE newsletters (
    id SERIAL PRIMARY KEY,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT 'en',
    position INTEGER NOT NULL DEFAULT 0,
    archived BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT newsletters_slug_key UNIQUE (slug)
);

-- A reader who gave us an address for newsletters (members may or may not be subscribers).
CREATE TABLE subscribers (
    id SERIAL PRIMARY KEY,
    email TEXT NOT NULL,
    locale TEXT NOT NULL DEFAULT 'en',
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT subscribers_email_key UNIQUE (email)
);

CREATE TABLE newsletter_subscriptions (
    id SERIAL PRIMARY KEY,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    newsletter_id INTEGER NOT NULL REFERENCES newsletters (id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'pending',
    confirmed_at TIMESTAMP,
    unsubscribed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT newsletter_subscriptions_key UNIQUE (subscriber_id, newsletter_id),
    CONSTRAINT newsletter_subscriptions_status_check CHECK (status IN ('pending', 'confirmed', 'unsubscribed'))
);
CREATE INDEX newsletter_subscriptions_newsletter_idx ON newsletter_subscriptions (newsletter_id, status);

-- Single-use secrets sent by email (confirm, unsubscribe, manage, account sign-in). Only the
-- SHA-256 of the token is stored.
CREATE TABLE tokens (
    id SERIAL PRIMARY KEY,
    token_hash TEXT NOT NULL,
    purpose TEXT NOT NULL,
    subscriber_id INTEGER REFERENCES subscribers (id) ON DELETE CASCADE,
    member_id INTEGER REFERENCES members (id) ON DELETE CASCADE,
    payload TEXT NOT NULL DEFAULT '{}',
    expires_at TIMESTAMP,
    used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT tokens_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX tokens_subscriber_idx ON tokens (subscriber_id, purpose, created_at);

-- The outbox and job queue: emails and follow-up work are rows written in the same
-- transaction as the change that causes them; `dedupe_key` makes each cause queue at most once.
CREATE TABLE jobs (
    id SERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    dedupe_key TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued',
    attempts INTEGER NOT NULL DEFAULT 0,
    run_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    locked_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    finished_at TIMESTAMP,
    CONSTRAINT jobs_dedupe_key_key UNIQUE (dedupe_key),
    CONSTRAINT jobs_status_check CHECK (status IN ('queued', 'done', 'dead'))
);
CREATE INDEX jobs_runnable_idx ON jobs (status, run_at);

-- Every verified Stripe event, raw, keyed by Stripe's id.
CREATE TABLE stripe_events (
    id TEXT NOT NULL PRIMARY KEY,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    processed_at TIMESTAMP,
    last_error TEXT
);

CREATE TABLE staff_users (
    id SERIAL PRIMARY KEY,
    email TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'viewer',
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    last_login_at TIMESTAMP,
    CONSTRAINT staff_users_email_key UNIQUE (email),
    CONSTRAINT staff_users_role_check CHECK (role IN ('admin', 'viewer'))
);

-- Server-side sessions for staff and members; only the hash of the cookie value is stored.
CREATE TABLE sessions (
    id SERIAL PRIMARY KEY,
    token_hash TEXT NOT NULL,
    staff_user_id INTEGER REFERENCES staff_users (id) ON DELETE CASCADE,
    member_id INTEGER REFERENCES members (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    last_seen_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires_at TIMESTAMP NOT NULL,
    CONSTRAINT sessions_token_hash_key UNIQUE (token_hash)
);

CREATE TABLE audit_log (
    id SERIAL PRIMARY KEY,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX audit_log_created_idx ON audit_log (created_at);

-- Widget views and join clicks per article and day: aggregated in memory, flushed in batches.
CREATE TABLE article_stats (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    article_url TEXT NOT NULL,
    day TEXT NOT NULL,
    views BIGINT NOT NULL DEFAULT 0,
    clicks BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, article_url, day)
);

INSERT INTO campaigns (slug, title, description, metric, goal, currency, milestones, donation_presets)
VALUES ('members', 'Help us reach 20,000 members',
        'Independent journalism is paid for by its readers. Join them.',
        'members', 20000, 'eur', '[5000, 10000, 15000]', '[1000, 2500, 5000]');
INSERT INTO tiers (campaign_id, slug, name, description, monthly_amount, yearly_amount, position)
SELECT id, 'supporter', 'Supporter', 'Keep the newsroom going.', 500, 5000, 1 FROM campaigns WHERE slug = 'members';
INSERT INTO tiers (campaign_id, slug, name, description, monthly_amount, yearly_amount, position)
SELECT id, 'sustainer', 'Sustainer', 'Fund an investigation a year.', 1000, 10000, 2 FROM campaigns WHERE slug = 'members';
INSERT INTO tiers (campaign_id, slug, name, description, monthly_amount, yearly_amount, position)
SELECT id, 'patron', 'Patron', 'Carry the newsroom through hard times.', 2500, 25000, 3 FROM campaigns WHERE slug = 'members';
INSERT INTO newsletters (slug, name, description, language, position)
VALUES ('news', 'The Briefing', 'The day''s most important stories, every morning.', 'en', 1);
