-- The audit log: one row per request that touched a person or a policy. Rows are only ever
-- appended; seq is the event's position in the log.
CREATE TABLE audit_event (
  seq           bigserial   PRIMARY KEY,
  event_id      uuid        NOT NULL UNIQUE,
  recorded_at   timestamptz NOT NULL,
  request_id    text        NOT NULL,
  action        text        NOT NULL,
  outcome       text        NOT NULL,
  http_status   integer     NOT NULL,
  nhs_number    char(10),
  organisation  text,
  client_id     text,
  user_id       text,
  user_role     text,
  purpose       text,
  emergency     boolean     NOT NULL DEFAULT false,
  detail        jsonb       NOT NULL
);

CREATE INDEX audit_event_nhs_number ON audit_event (nhs_number, recorded_at);
CREATE INDEX audit_event_organisation ON audit_event (organisation, recorded_at);
