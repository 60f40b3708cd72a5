-- A member may pause their payments (Stripe's pause_collection): until when.
ALTER TABLE memberships ADD COLUMN paused_until TIMESTAMP;
