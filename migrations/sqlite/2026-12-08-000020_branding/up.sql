-- The outlet's brand (branding/mod.rs): one row, edited on /admin/branding, shown on every
-- public page, in the widget and in every email. Empty text means "not set": the neutral
-- defaults apply. `version` moves on each save, so every instance picks the change up.
CREATE TABLE branding (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    version BIGINT NOT NULL DEFAULT 0,
    outlet_name TEXT NOT NULL DEFAULT '',
    site_url TEXT NOT NULL DEFAULT '',
    logo_url TEXT NOT NULL DEFAULT '',
    accent_colour TEXT NOT NULL DEFAULT '',
    sender_name TEXT NOT NULL DEFAULT '',
    email_footer TEXT NOT NULL DEFAULT '',
    privacy_url TEXT NOT NULL DEFAULT '',
    terms_url TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMP
);
INSERT INTO branding (id) VALUES (1);
