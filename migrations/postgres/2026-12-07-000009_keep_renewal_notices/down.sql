DROP INDEX jobs_purgeable_idx;
CREATE INDEX jobs_purgeable_idx ON jobs (finished_at)
WHERE status = 'done' AND dedupe_key NOT LIKE 'welcome:%' AND dedupe_key NOT LIKE 'receipt:%'
    AND dedupe_key NOT LIKE 'payment_failed:%';
