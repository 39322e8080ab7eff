-- placeshare witness: its own tables, created at its start when missing. Apart from the gateway's
-- migrations (db/migrations.txt) and prefixed witness_, so it can share a database with a gateway.
-- Rows are keyed by the witness's own name too, so several witnesses (as in the demo) can share
-- one database without sharing a view of any log.

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

-- Requests signed by a log's key that the witness refused as possible misbehaviour (a proof that
-- does not verify, a second root for a size): kept as sent, capped per origin by the server.
CREATE TABLE witness_evidence (
  id bigserial PRIMARY KEY,
  witness text NOT NULL,
  origin text NOT NULL,
  body bytea NOT NULL,
  received_at timestamptz NOT NULL,
  reason text NOT NULL
);

CREATE INDEX witness_evidence_origin ON witness_evidence (witness, origin, id);
