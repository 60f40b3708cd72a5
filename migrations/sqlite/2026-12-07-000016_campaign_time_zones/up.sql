-- A campaign's dates are days in its own time zone (an IANA name such as Europe/Kyiv): it
-- starts when its first day begins there and ends when its last day ends there. Until now a
-- deadline was stored as the midnight (UTC) that begins the named day, so a campaign "ending
-- on 31 December" stopped counting a day early: it now ends when that day ends (in UTC, the
-- zone of every existing campaign).
ALTER TABLE campaigns ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
UPDATE campaigns SET ends_at = datetime(ends_at, '+1 day') WHERE ends_at IS NOT NULL;
