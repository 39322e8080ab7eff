-- Each checkpoint also as a C2SP tlog-checkpoint signed note (Ed25519, the auditNoteKey), the form
-- transparency-log tools and witnesses read; null for checkpoints signed before the key was set.
ALTER TABLE audit_checkpoint ADD COLUMN note text;
