-- Retention: an event past its agreements' retention is redacted, not deleted. Its personal
-- columns and detail are cleared and it is marked; its leaf index and leaf hash stay, so the
-- tree and every signed checkpoint still verify.
ALTER TABLE audit_event ADD COLUMN redacted_at timestamptz;
