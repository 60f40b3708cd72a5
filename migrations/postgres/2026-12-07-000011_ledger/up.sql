-- The ledger of outside contributions (bank transfers, events, another platform) replaces
-- the single manual offset: each entry has its date, its members (or amount, in minor
-- units, for a campaign counting money), its source and a note, and who entered it. The
-- campaign's count includes every entry dated up to now.
CREATE TABLE ledger_entries (
    id SERIAL PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    occurred_at TIMESTAMP NOT NULL,
    amount BIGINT NOT NULL,
    source TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    entered_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);
CREATE INDEX ledger_entries_campaign_idx ON ledger_entries (campaign_id, occurred_at);

-- A campaign's offset becomes one entry, dated when it took its value (its last audited
-- change, else the campaign's creation) and entered by whoever made that change; the
-- changes stay in the audit log as campaign.offset, and the move is audited beside them.
INSERT INTO ledger_entries (campaign_id, occurred_at, amount, source, note, entered_by)
SELECT c.id,
       COALESCE(
           (SELECT a.created_at FROM audit_log a
             WHERE a.action = 'campaign.offset' AND a.subject_type = 'campaign'
               AND a.subject_id = c.slug
             ORDER BY a.created_at DESC, a.id DESC LIMIT 1),
           c.created_at),
       c.manual_offset,
       'manual offset',
       'The manual offset before the ledger; its changes are in the audit log (campaign.offset).',
       COALESCE(
           (SELECT a.actor FROM audit_log a
             WHERE a.action = 'campaign.offset' AND a.subject_type = 'campaign'
               AND a.subject_id = c.slug
             ORDER BY a.created_at DESC, a.id DESC LIMIT 1),
           'migration')
FROM campaigns c
WHERE c.manual_offset <> 0;
INSERT INTO audit_log (actor, action, subject_type, subject_id, details, created_at)
SELECT 'migration', 'ledger.migrated', 'campaign', c.slug, json_build_object('entry', e.id, 'amount', e.amount, 'history', 'the campaign.offset entries before this one')::text, (now() AT TIME ZONE 'UTC')
FROM ledger_entries e JOIN campaigns c ON c.id = e.campaign_id;
-- The stored count (what the widget shows) included the offset; it now includes the entry.
UPDATE campaigns SET progress_count = progress_count + manual_offset,
                     progress_version = progress_version + 1
WHERE manual_offset <> 0;
ALTER TABLE campaigns DROP COLUMN manual_offset;
