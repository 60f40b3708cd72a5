UPDATE campaigns SET ends_at = ends_at - INTERVAL '1 day' WHERE ends_at IS NOT NULL;
ALTER TABLE campaigns DROP COLUMN time_zone;
