DROP TABLE campaign_goals_reached;
ALTER TABLE campaigns DROP COLUMN stretch_goals;
