ALTER TABLE members DROP COLUMN yearly_statement;
