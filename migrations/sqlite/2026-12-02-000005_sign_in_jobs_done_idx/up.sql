-- Every request for a sign-in link leaves a done `sign_in` job; the next job deletes those
-- done for an hour through this index, whatever the size of the rest of the queue.
CREATE INDEX jobs_sign_in_done_idx ON jobs (finished_at) WHERE kind = 'sign_in' AND status = 'done';
