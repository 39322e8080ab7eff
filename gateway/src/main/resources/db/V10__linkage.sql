-- The linkage register: which record of an agency that does not hold the NHS number belongs to
-- which NHS number, how that was decided, and on what demographics. A view joins an agency's
-- records only through a row here whose status is 'linked'. The demographics are personal data,
-- kept so a steward can see what a link was made on and a sync can tell when they change; they are
-- never logged and never leave but to the source's own data steward.
CREATE TABLE linkage_link (
  source           text              NOT NULL,
  local_id         text              NOT NULL,
  nhs_number       text              NOT NULL,
  grade            text              NOT NULL,  -- certain | probable | possible
  score            double precision  NOT NULL,
  method           text              NOT NULL,  -- automatic | reviewed
  reviewer_user    text,
  reviewer_client  text,
  linked_at        timestamptz       NOT NULL,
  demographics     jsonb             NOT NULL,
  fingerprint      text              NOT NULL,
  status           text              NOT NULL,  -- linked | undone | rechecking
  undone_by        text,
  undone_reason    text,
  undone_at        timestamptz,
  PRIMARY KEY (source, local_id)
);

-- A view asks for one person's live links of one source.
CREATE INDEX linkage_link_person ON linkage_link (source, nhs_number) WHERE status = 'linked';

-- The data steward's queue: records whose trace was not certain, whose link's demographics
-- changed, or whose undone link traced again. Candidates carry the NHS number, score, grade and
-- the per-field agreement levels, never the index's demographics.
CREATE TABLE linkage_review (
  id               uuid         PRIMARY KEY,
  source           text         NOT NULL,
  local_id         text         NOT NULL,
  demographics     jsonb        NOT NULL,
  fingerprint      text         NOT NULL,
  candidates       jsonb        NOT NULL,
  reason           text         NOT NULL,
  opened_at        timestamptz  NOT NULL,
  decided_at       timestamptz,
  decided_user     text,
  decided_client   text,
  outcome          text         -- link | no-match | superseded
);

-- At most one open review per record.
CREATE UNIQUE INDEX linkage_review_open ON linkage_review (source, local_id)
  WHERE decided_at IS NULL;
CREATE INDEX linkage_review_record ON linkage_review (source, local_id, decided_at);

-- Per traced source: what its last sync could not trace or use, and how that sync went. The
-- trouble stays until a sync succeeds, so every instance's views can say why records are missing.
CREATE TABLE linkage_source (
  source           text         PRIMARY KEY,
  not_traced       integer      NOT NULL DEFAULT 0,
  unusable         integer      NOT NULL DEFAULT 0,
  last_sync_at     timestamptz,
  last_outcome     text,        -- succeeded | incomplete | failed
  trouble          text
);
