-- placeshare witness: its own tables, created at its start when missing. Apart from the gateway's
-- migrations (db/migrations.txt) and prefixed witness_, so it can share a database with a gateway.
-- Rows are keyed by the witness's own name too, so several witnesses (as in the demo) can share
-- one database without sharing a view of any log. Whoever can write these tables can roll the
-- witness back: the log's operator must not be able to (docs/audit.md, "Running a witness").

-- The latest checkpoint cosigned per log (C2SP tlog-witness: the only state a witness needs).
CREATE TABLE witness_checkpoint (
  witness text NOT NULL,
  origin text NOT NULL,
  size bigint NOT NULL CHECK (size >= 0),
  root bytea NOT NULL CHECK (octet_length(root) = 32),
  note text NOT NULL,
  cosigned_at timestamptz NOT NULL,
  PRIMARY KEY (witness, origin)
);

-- Split views: a checkpoint signed by the log's key with a second root for a size the witness had
-- cosigned with another root. Both halves are kept (the note sent, and the note the witness had
-- cosigned for that size), each signed by the log: proof of its misbehaviour whoever sent it.
-- One row per (origin, size, root), so replays add nothing; capped per origin by the server.
CREATE TABLE witness_evidence (
  witness text NOT NULL,
  origin text NOT NULL,
  size bigint NOT NULL CHECK (size >= 0),
  root bytea NOT NULL CHECK (octet_length(root) = 32),
  note text NOT NULL,
  cosigned_root bytea NOT NULL CHECK (octet_length(cosigned_root) = 32),
  cosigned_note text NOT NULL,
  received_at timestamptz NOT NULL,
  PRIMARY KEY (witness, origin, size, root)
);
