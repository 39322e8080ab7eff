-- What the gateway knows of a person before any record is fetched, for the policy's decision:
-- the national data opt-out, the restricted-record (S-flag) status, and the postcode district
-- (for pilot cohorts by district). Fed by the register import and the sources; keyed on the
-- NHS number, holding no name or clinical data.
CREATE TABLE patient_register (
  nhs_number         char(10)    PRIMARY KEY,
  opted_out          boolean     NOT NULL DEFAULT false,
  restricted         boolean     NOT NULL DEFAULT false,
  postcode_district  text,
  updated_at         timestamptz NOT NULL
);

-- The relationship register: which organisation cares for the person, and how.
CREATE TABLE care_relationship (
  nhs_number    char(10)    NOT NULL,
  organisation  text        NOT NULL,
  kind          text        NOT NULL,
  recorded_at   timestamptz NOT NULL,
  ended_at      timestamptz,
  PRIMARY KEY (nhs_number, organisation, kind)
);

-- Releases per pilot agreement, recipient and day, so a pilot's daily volume holds across
-- every gateway instance on this database.
CREATE TABLE pilot_usage (
  agreement_id  text     NOT NULL,
  recipient     text     NOT NULL,
  day           date     NOT NULL,
  released      integer  NOT NULL,
  PRIMARY KEY (agreement_id, recipient, day)
);
