-- Back to one manual offset per campaign: the sum of its entries.
ALTER TABLE campaigns ADD COLUMN manual_offset BIGINT NOT NULL DEFAULT 0;
UPDATE campaigns SET manual_offset = COALESCE(
    (SELECT SUM(e.amount) FROM ledger_entries e WHERE e.campaign_id = campaigns.id), 0);
UPDATE campaigns SET progress_count = progress_count - manual_offset,
                     progress_version = progress_version + 1
WHERE manual_offset <> 0;
DROP TABLE ledger_entries;
