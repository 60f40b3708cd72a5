DROP TABLE appeal_stats;
ALTER TABLE memberships DROP COLUMN appeal_variant;
ALTER TABLE campaigns DROP COLUMN title_b;
