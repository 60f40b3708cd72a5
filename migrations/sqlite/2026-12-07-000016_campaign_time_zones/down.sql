UPDATE campaigns SET ends_at = datetime(ends_at, '-1 day') WHERE ends_at IS NOT NULL;
ALTER TABLE campaigns DROP COLUMN time_zone;
