DROP TABLE tier_texts;
