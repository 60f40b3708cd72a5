ALTER TABLE newsletter_subscriptions DROP COLUMN source;
ALTER TABLE subscribers DROP COLUMN name;
