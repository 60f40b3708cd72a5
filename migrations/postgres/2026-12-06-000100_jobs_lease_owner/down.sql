ALTER TABLE jobs DROP COLUMN lease_owner;
