-- The audit log as a Merkle tree (RFC 6962/9162). Each event is a leaf at a contiguous index,
-- shared by every instance: the tree row is locked by each append batch, which takes the next
-- indices and stores the new right edge of the tree (the roots of its complete subtrees), so the
-- root of any size is known without rereading the log.
ALTER TABLE audit_event ADD COLUMN leaf_index bigint UNIQUE;
ALTER TABLE audit_event ADD COLUMN leaf_hash bytea;

CREATE TABLE audit_tree (
  only_row  boolean  PRIMARY KEY DEFAULT true CHECK (only_row),
  size      bigint   NOT NULL,
  frontier  bytea[]  NOT NULL
);
INSERT INTO audit_tree (size, frontier) VALUES (0, '{}');

-- Signed tree heads: origin, size and root, signed with the gateway's audit key.
CREATE TABLE audit_checkpoint (
  size        bigint       PRIMARY KEY,
  root        bytea        NOT NULL,
  signed      text         NOT NULL,
  created_at  timestamptz  NOT NULL
);
