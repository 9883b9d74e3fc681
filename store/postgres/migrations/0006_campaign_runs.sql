-- Schema version 6: recurring campaigns and send windows. A campaign
-- keeps when its current run was due and how many run times passed
-- unsent; a recipient is found by its message, so that a campaign message
-- expiring at its send window's close puts its recipient back to pending
-- in the same transaction.

ALTER TABLE campaigns ADD COLUMN run_at bigint NOT NULL DEFAULT 0;
ALTER TABLE campaigns ADD COLUMN missed_runs integer NOT NULL DEFAULT 0;
CREATE INDEX campaign_recipients_message ON campaign_recipients (message_id) WHERE message_id <> 0;
