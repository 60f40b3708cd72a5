-- Stretch goals: the goals a campaign moves on to once its goal is reached (a JSON array,
-- ascending, each above the goal), and the record of every goal reached.
ALTER TABLE campaigns ADD COLUMN stretch_goals TEXT NOT NULL DEFAULT '[]';
CREATE TABLE campaign_goals_reached (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    goal BIGINT NOT NULL,
    reached_at TIMESTAMP NOT NULL,
    PRIMARY KEY (campaign_id, goal)
);
