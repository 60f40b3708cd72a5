DROP INDEX jobs_sign_in_done_idx;
