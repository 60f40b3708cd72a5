-- SQLite cannot drop a column that holds a foreign key: the tokens table is rebuilt without it.
DELETE FROM tokens WHERE staff_user_id IS NOT NULL;
CREATE TABLE tokens_without_staff (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL,
    purpose TEXT NOT NULL,
    subscriber_id INTEGER REFERENCES subscribers (id) ON DELETE CASCADE,
    member_id INTEGER REFERENCES members (id) ON DELETE CASCADE,
    payload TEXT NOT NULL DEFAULT '{}',
    expires_at TIMESTAMP,
    used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT tokens_token_hash_key UNIQUE (token_hash)
);
INSERT INTO tokens_without_staff
SELECT id, token_hash, purpose, subscriber_id, member_id, payload, expires_at, used_at, created_at
FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_without_staff RENAME TO tokens;
CREATE INDEX tokens_subscriber_idx ON tokens (subscriber_id, purpose, created_at);
CREATE INDEX tokens_member_idx ON tokens (member_id, purpose, created_at);
CREATE INDEX tokens_used_idx ON tokens (used_at) WHERE used_at IS NOT NULL;
CREATE INDEX tokens_expires_idx ON tokens (expires_at) WHERE expires_at IS NOT NULL;
ALTER TABLE staff_users DROP COLUMN disabled_at;
