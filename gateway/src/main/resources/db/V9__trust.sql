-- Taking trust back, fleet-wide. Every instance reloads the same clients file; the first to see a
-- client change status records it here (and audits it), and every instance refuses a client whose
-- row is not 'active' at its next request, whatever its own copy of the file says yet.
CREATE TABLE client_status (
  client_id     text         PRIMARY KEY,
  organisation  text         NOT NULL,
  status        text         NOT NULL,  -- active | suspended | removed
  changed_at    timestamptz  NOT NULL
);

-- Access tokens an IG lead revoked, by jti, kept until every token that could carry the id has
-- expired anyway. Checked on every authenticated request.
CREATE TABLE revoked_token (
  jti         text         PRIMARY KEY,
  revoked_at  timestamptz  NOT NULL,
  revoked_by  text         NOT NULL,
  reason      text         NOT NULL,
  keep_until  timestamptz  NOT NULL
);
