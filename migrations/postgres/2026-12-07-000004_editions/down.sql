DROP INDEX newsletter_subscriptions_confirmed_idx;
DROP TABLE editions;
