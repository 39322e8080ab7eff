-- Consents the gateway knows: registered ones (standing = true) apply to every request for the
-- person; tokens only ever presented with a request are kept (standing = false) so they can be
-- listed and withdrawn. A withdrawal is a column, never a deletion: the IG lead can see what was
-- withdrawn, when, by whom and why, and every instance sees it at its next request.
CREATE TABLE consent (
  jti                text        PRIMARY KEY,
  issuer             text        NOT NULL,
  nhs_number         char(10)    NOT NULL,
  recipients         text[]      NOT NULL,
  purposes           text[]      NOT NULL,
  scopes             text[]      NOT NULL,
  method             text        NOT NULL,
  recorded_by        text        NOT NULL,
  not_before         timestamptz NOT NULL,
  expires            timestamptz NOT NULL,
  token              text        NOT NULL,
  standing           boolean     NOT NULL,
  first_seen_at      timestamptz NOT NULL,
  first_seen_by      text        NOT NULL,
  withdrawn_at       timestamptz,
  withdrawn_by       text,
  withdrawal_reason  text
);

CREATE INDEX consent_nhs_number ON consent (nhs_number);

-- Client assertion ids already used, until they expire: a replay is refused by every instance.
CREATE TABLE client_assertion_seen (
  client_id  text        NOT NULL,
  jti        text        NOT NULL,
  expires    timestamptz NOT NULL,
  PRIMARY KEY (client_id, jti)
);

CREATE INDEX client_assertion_seen_expires ON client_assertion_seen (expires);
