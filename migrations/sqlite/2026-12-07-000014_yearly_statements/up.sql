-- Members who asked (on their account page) for a statement of last year's payments by
-- email each January.
ALTER TABLE members ADD COLUMN yearly_statement BOOLEAN NOT NULL DEFAULT 0;
