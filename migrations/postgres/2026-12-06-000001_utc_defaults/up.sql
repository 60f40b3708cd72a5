-- Timestamps are naive UTC. CURRENT_TIMESTAMP converts to the session's time zone, which
-- each connection used to set; behind PgBouncer in transaction mode a session setting does
-- not follow the transactions. Every default now states UTC itself.
DO $$
DECLARE
    col record;
BEGIN
    FOR col IN
        SELECT table_name, column_name
        FROM information_schema.columns
        WHERE table_schema = current_schema()
          AND data_type = 'timestamp without time zone'
          AND column_default ILIKE '%current_timestamp%'
    LOOP
        EXECUTE format(
            'ALTER TABLE %I ALTER COLUMN %I SET DEFAULT (now() AT TIME ZONE ''UTC'')',
            col.table_name, col.column_name);
    END LOOP;
END $$;
