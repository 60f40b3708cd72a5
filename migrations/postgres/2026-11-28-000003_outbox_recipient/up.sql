-- Who an email job is addressed to, so a member's emails are found through an index
-- instead of a scan of every payload. Existing emails are filled in from their payload
-- (the queued email or, once sent, its receipt: both JSON with "to").
ALTER TABLE jobs ADD COLUMN recipient TEXT;
UPDATE jobs SET recipient = payload::json ->> 'to' WHERE kind = 'email';
CREATE INDEX jobs_recipient_idx ON jobs (recipient) WHERE recipient IS NOT NULL;
