-- Schema version 4: find partly-sent messages waiting for the modem that
-- sent their first parts (see Options.ResumeAffinity).

CREATE INDEX messages_resume ON messages(updated_at) WHERE state = 'queued' AND parts_total > 0;
