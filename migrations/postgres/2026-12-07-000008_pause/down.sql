ALTER TABLE memberships DROP COLUMN paused_until;
