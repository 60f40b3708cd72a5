DROP TRIGGER jobs_tally_delete;
DROP TRIGGER jobs_tally_update;
DROP TRIGGER jobs_tally_insert;
DROP TABLE job_tallies;
