ALTER TABLE editions DROP COLUMN preheader;
