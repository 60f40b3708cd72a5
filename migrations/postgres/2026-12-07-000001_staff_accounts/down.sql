DROP INDEX tokens_staff_idx;
ALTER TABLE tokens DROP COLUMN staff_user_id;
ALTER TABLE staff_users DROP COLUMN disabled_at;
