-- Two variants of a campaign's appeal: the widget shows its title (variant a) or title_b
-- (variant b) at random; views and clicks are counted per variant and day, and a
-- membership keeps the variant its reader joined from.
ALTER TABLE campaigns ADD COLUMN title_b TEXT NOT NULL DEFAULT '';
ALTER TABLE memberships ADD COLUMN appeal_variant TEXT CHECK (appeal_variant IN ('a', 'b'));
CREATE TABLE appeal_stats (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    variant TEXT NOT NULL CHECK (variant IN ('a', 'b')),
    day TEXT NOT NULL,
    views BIGINT NOT NULL DEFAULT 0,
    clicks BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, variant, day)
);
