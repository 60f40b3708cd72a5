-- Subscribers imported from another tool (`memberdrive import-subscribers`) bring a name and
-- say where they subscribed ("mailchimp", "print form"); sign-ups here leave both empty.
ALTER TABLE subscribers ADD COLUMN name TEXT;
ALTER TABLE newsletter_subscriptions ADD COLUMN source TEXT;
