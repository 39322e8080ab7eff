-- Tell us once (issue 19), events in: a change about a person that a source reported, kept before
-- the source is told it was received. The event id is the source's own, unique per reporting
-- organisation, so a source resending after a lost answer is given the stored event back. The
-- change is a small capped JSON of what changed (ChangeEvent.MAX_CHANGE_BYTES), never free text;
-- it is personal data, never logged.
CREATE TABLE notification_event (
  seq            bigserial    PRIMARY KEY,
  organisation   text         NOT NULL,  -- the reporting client's organisation (ODS code)
  event_id       text         NOT NULL,  -- the source's id of the event
  kind           text         NOT NULL
                 CHECK (kind IN ('address-changed', 'died', 'gp-changed', 'care-episode-opened',
                                 'care-episode-closed', 'safeguarding-concern')),
  nhs_number     text         NOT NULL,
  source         text         NOT NULL,  -- the configured source the change is about
  occurred_at    timestamptz  NOT NULL,
  received_at    timestamptz  NOT NULL,
  change         jsonb        NOT NULL CHECK (octet_length(change::text) <= 2048),
  fingerprint    text         NOT NULL,  -- SHA-256 of the canonical event, to tell a resend from a clash
  reported_by    text         NOT NULL,  -- the client that reported it
  status         text         NOT NULL DEFAULT 'received'
                 CHECK (status IN ('received', 'fanned-out')),
  UNIQUE (organisation, event_id)
);

-- Fan-out reads what is not yet fanned out, in order of arrival; a person's trail reads by person.
CREATE INDEX notification_event_pending ON notification_event (seq) WHERE status = 'received';
CREATE INDEX notification_event_person ON notification_event (nhs_number, occurred_at);
