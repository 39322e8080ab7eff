-- The audit tree cut into C2SP tlog-tiles: tile idx of a level holds the hashes of the tree's nodes
-- of height 8 * level, numbered 256 * idx on, 32 bytes each, up to 256 of them (then it is full
-- and never changes). Written by each append batch in its transaction, so proofs read one tile per
-- level instead of every leaf hash.
CREATE TABLE audit_tile (
  level   smallint  NOT NULL CHECK (level BETWEEN 0 AND 7),
  idx     bigint    NOT NULL CHECK (idx >= 0),
  hashes  bytea     NOT NULL
          CHECK (length(hashes) BETWEEN 32 AND 8192 AND length(hashes) % 32 = 0),
  PRIMARY KEY (level, idx)
);
