-- Staff accounts can be disabled (they keep their history in the audit log, but cannot sign
-- in) and can be sent a single-use link to choose a new password (`memberdrive staff
-- disable`, `staff reset-password`).
ALTER TABLE staff_users ADD COLUMN disabled_at TIMESTAMP;
ALTER TABLE tokens ADD COLUMN staff_user_id INTEGER REFERENCES staff_users (id) ON DELETE CASCADE;
CREATE INDEX tokens_staff_idx ON tokens (staff_user_id, purpose, created_at);
