-- Cohorts a recipient registered (FHIR Group of NHS numbers), in the order given, and the bulk
-- jobs run over them. A job's state lives here so that it survives a restart and resumes: the
-- next member to take, and what its files held at the last checkpoint.
CREATE TABLE cohort (
  id            uuid         PRIMARY KEY,
  organisation  text         NOT NULL,
  client_id     text         NOT NULL,
  name          text,
  members       integer      NOT NULL,
  created_at    timestamptz  NOT NULL
);

CREATE TABLE cohort_member (
  cohort_id   uuid     NOT NULL REFERENCES cohort (id) ON DELETE CASCADE,
  position    integer  NOT NULL,
  nhs_number  text     NOT NULL,
  PRIMARY KEY (cohort_id, position)
);

CREATE TABLE export_job (
  id            uuid         PRIMARY KEY,
  kind          text         NOT NULL,  -- export | summary
  cohort_id     uuid         NOT NULL REFERENCES cohort (id) ON DELETE CASCADE,
  organisation  text         NOT NULL,
  client_id     text         NOT NULL,
  user_id       text         NOT NULL,
  role          text         NOT NULL,
  purpose       text         NOT NULL,
  types         text[],
  since         timestamptz,
  request       text         NOT NULL,
  status        text         NOT NULL,  -- queued | running | complete | failed | cancelled
  position      integer      NOT NULL DEFAULT 0,
  progress      jsonb        NOT NULL DEFAULT '{}',
  error         text,
  created_at    timestamptz  NOT NULL,
  finished_at   timestamptz,
  expires_at    timestamptz,
  lease_owner   text,
  lease_until   timestamptz
);

CREATE INDEX export_job_runnable ON export_job (created_at) WHERE status IN ('queued', 'running');
