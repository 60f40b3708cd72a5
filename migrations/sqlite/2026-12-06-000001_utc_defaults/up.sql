-- SQLite's CURRENT_TIMESTAMP is UTC already: nothing to change (PostgreSQL's migration of
-- the same name makes its defaults state UTC themselves).
SELECT 1;
