DROP TRIGGER jobs_tally_delete ON jobs;
DROP TRIGGER jobs_tally_update ON jobs;
DROP TRIGGER jobs_tally_insert ON jobs;
DROP FUNCTION jobs_tally_done();
DROP TABLE job_tallies;
