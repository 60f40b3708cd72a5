-- Who holds a job's lease: a worker renews the leases of the jobs it holds while it works
-- on them, and records an outcome only for a job still its own.
ALTER TABLE jobs ADD COLUMN lease_owner TEXT;
