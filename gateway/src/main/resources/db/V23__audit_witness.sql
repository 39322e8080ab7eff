-- Partner witnesses (C2SP tlog-witness) as this log knows them: the size each last cosigned (never
-- lowered: instances sharing the database each raise it), when, and the last attempt's trouble. A
-- lease lets one instance at a time submit to a witness.
CREATE TABLE audit_witness (
  name          text         PRIMARY KEY,
  size          bigint       NOT NULL DEFAULT 0 CHECK (size >= 0),
  cosigned_at   timestamptz,
  attempted_at  timestamptz,
  error         text,
  -- A size the witness claims to have cosigned beyond this log's: evidence of a fork or a
  -- rolled-back database, kept until a cosignature is made again.
  ahead         bigint,
  -- A size this log holds for which the witness holds another root (it refused the log's own
  -- consistency proof from that size, or answered a same-size different-root conflict): evidence
  -- of a fork, kept until a cosignature is made again.
  fork          bigint,
  lease_until   timestamptz,
  -- The checkpoint size submitted under the lease: the other witnesses join it (one round, one
  -- quorum on one size).
  target        bigint
);
-- Each witness's verified cosignature line (tlog-cosignature cosignature/v1) on a checkpoint.
CREATE TABLE audit_cosignature (
  size       bigint       NOT NULL REFERENCES audit_checkpoint (size),
  witness    text         NOT NULL,
  line       text         NOT NULL CHECK (length(line) <= 1024),
  signed_at  timestamptz  NOT NULL,
  PRIMARY KEY (size, witness)
);
-- Each witness's largest cosigned size in one index probe: bounds the witnessed query's scan.
CREATE INDEX audit_cosignature_witness ON audit_cosignature (witness, size);
