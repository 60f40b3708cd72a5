UPDATE editions SET status = 'cancelled' WHERE status = 'paused';
ALTER TABLE editions DROP CONSTRAINT editions_status_check;
ALTER TABLE editions ADD CONSTRAINT editions_status_check
    CHECK (status IN ('scheduled', 'sending', 'sent', 'cancelled'));
