-- A tier's name and description in each language readers may choose (`?lang=uk`); an empty
-- text, or no row, shows the tier's own (campaigns/tier_texts.rs).
CREATE TABLE tier_texts (
    tier_id INTEGER NOT NULL REFERENCES tiers (id) ON DELETE CASCADE,
    lang TEXT NOT NULL CHECK (lang IN ('en', 'uk')),
    name TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (tier_id, lang)
);
-- The tiers every new database starts with speak Ukrainian too, unless staff renamed them.
INSERT INTO tier_texts (tier_id, lang, name, description)
SELECT id, 'uk', 'Прихильник', 'Тримайте редакцію на плаву.' FROM tiers
WHERE slug = 'supporter' AND name = 'Supporter';
INSERT INTO tier_texts (tier_id, lang, name, description)
SELECT id, 'uk', 'Опора', 'Одне розслідування на рік — ваше.' FROM tiers
WHERE slug = 'sustainer' AND name = 'Sustainer';
INSERT INTO tier_texts (tier_id, lang, name, description)
SELECT id, 'uk', 'Меценат', 'Проведіть редакцію крізь важкі часи.' FROM tiers
WHERE slug = 'patron' AND name = 'Patron';
