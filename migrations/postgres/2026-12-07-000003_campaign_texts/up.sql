-- A campaign's title and appeal in each language readers may choose (`?lang=uk`); an empty
-- text, or no row, shows the campaign's own.
CREATE TABLE campaign_texts (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    lang TEXT NOT NULL CHECK (lang IN ('en', 'uk')),
    title TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (campaign_id, lang)
);
-- The campaign every new database starts with speaks Ukrainian too, unless staff renamed it.
INSERT INTO campaign_texts (campaign_id, lang, title)
SELECT id, 'uk', 'Допоможіть нам об''єднати 20 000 учасників'
FROM campaigns
WHERE slug = 'members' AND title = 'Help us reach 20,000 members';
UPDATE campaigns SET progress_version = progress_version + 1
WHERE id IN (SELECT campaign_id FROM campaign_texts);
