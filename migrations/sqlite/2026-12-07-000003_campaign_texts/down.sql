DROP TABLE campaign_texts;
