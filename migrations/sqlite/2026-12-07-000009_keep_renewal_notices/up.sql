-- A renewal notice's row is the record that it went out: with a notice more than 30 days
-- ahead, purging it before the renewal would send it again. Kept like the welcome and the
-- receipt (`retention::PURGEABLE` states the same condition word for word).
DROP INDEX jobs_purgeable_idx;
CREATE INDEX jobs_purgeable_idx ON jobs (finished_at)
WHERE status = 'done' AND dedupe_key NOT LIKE 'welcome:%' AND dedupe_key NOT LIKE 'receipt:%'
    AND dedupe_key NOT LIKE 'payment_failed:%' AND dedupe_key NOT LIKE 'renewal_reminder:%';
