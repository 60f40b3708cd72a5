-- Every query that runs on a timer, and every statement of the purge, reads through an
-- index: its cost follows the work that is due, not the size of the tables.
-- `scripts/bench-periodic` prints their plans over a million members, memberships and emails.

-- Claims and the outbox gauges: a kind's queued and dead-lettered jobs, the due ones first.
-- It replaces (status, run_at), along which a kind's claim stepped over every other kind's
-- queued jobs.
CREATE INDEX jobs_kind_status_run_idx ON jobs (kind, status, run_at);
DROP INDEX jobs_runnable_idx;

-- The purge: done jobs by age, but for the emails whose row is the only record that they
-- went out, and whose cause comes back (every paid invoice asks for the welcome, and
-- reconciliation may apply an invoice again months later). The purge states this condition
-- word for word (`retention::PURGEABLE`): SQLite uses a partial index only for a query that
-- repeats its condition.
CREATE INDEX jobs_purgeable_idx ON jobs (finished_at)
WHERE status = 'done' AND dedupe_key NOT LIKE 'welcome:%' AND dedupe_key NOT LIKE 'receipt:%'
    AND dedupe_key NOT LIKE 'payment_failed:%';
CREATE INDEX jobs_dead_idx ON jobs (finished_at) WHERE status = 'dead';

-- When the recount wakes next: the earliest end of a period cancelled at its end.
CREATE INDEX memberships_cancelled_end_idx ON memberships (current_period_end)
WHERE cancel_at_period_end;
-- Renewal reminders: yearly memberships that renew within a week.
CREATE INDEX memberships_interval_end_idx ON memberships (billing_interval, current_period_end);

-- A member's sign-in links of the hour and of the day; used and expired tokens by age.
CREATE INDEX tokens_member_idx ON tokens (member_id, purpose, created_at);
CREATE INDEX tokens_used_idx ON tokens (used_at) WHERE used_at IS NOT NULL;
CREATE INDEX tokens_expires_idx ON tokens (expires_at) WHERE expires_at IS NOT NULL;

-- Sessions that ended: past their absolute end, or idle for longer than their kind allows.
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
CREATE INDEX sessions_staff_seen_idx ON sessions (last_seen_at) WHERE staff_user_id IS NOT NULL;
CREATE INDEX sessions_member_seen_idx ON sessions (last_seen_at) WHERE member_id IS NOT NULL;

-- Stripe events applied long ago.
CREATE INDEX stripe_events_processed_idx ON stripe_events (processed_at)
WHERE processed_at IS NOT NULL;
