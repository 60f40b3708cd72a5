-- Joining stores nothing before Checkout completes: what a sign-up row held (campaign, tier,
-- the article that sent the reader) travels in the Checkout Session's metadata, and the
-- member is made from the address Checkout collected. Nothing reads or writes sign-ups.
DROP TABLE signups;
