-- An edition may be paused by staff (newsletters/editions/control.rs).
ALTER TABLE editions DROP CONSTRAINT editions_status_check;
ALTER TABLE editions ADD CONSTRAINT editions_status_check
    CHECK (status IN ('scheduled', 'sending', 'sent', 'paused', 'cancelled'));
