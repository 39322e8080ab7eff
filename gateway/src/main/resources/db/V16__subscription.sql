-- Tell us once (issue 19): the FHIR Subscriptions agencies made, each a rest-hook to an endpoint on
-- a host registered for the client. Criteria are stored parsed, never as the text the client sent:
-- the event kinds, and the cohort (a Group the organisation registered) or its care relationships.
CREATE TABLE subscription (
  id            uuid         PRIMARY KEY,
  client_id     text         NOT NULL,
  organisation  text         NOT NULL,
  purpose       text         NOT NULL,
  kinds         text[]       NOT NULL,
  cohort_id     uuid         REFERENCES cohort (id) ON DELETE CASCADE,  -- null: care relationships
  endpoint      text         NOT NULL,
  status        text         NOT NULL,  -- active | off
  created_at    timestamptz  NOT NULL
);

CREATE INDEX subscription_by_organisation ON subscription (organisation, status);
