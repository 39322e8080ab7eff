-- Bulk export files kept in the database (cohorts.store: database), so that every gateway instance
-- of a fleet serves any job's files. A file is its parts in order: each part is one append (or a
-- slice of one), starting at byte start_at. A resumed job cuts a file back to its checkpoint by
-- deleting the parts at or past it; the parts go with their job (expiry, cancel, the cohort's
-- deletion), so no bytes outlive the job that wrote them.
CREATE TABLE export_file_part (
  job_id    uuid    NOT NULL REFERENCES export_job (id) ON DELETE CASCADE,
  type      text    NOT NULL,
  start_at  bigint  NOT NULL,
  bytes     bytea   NOT NULL,
  PRIMARY KEY (job_id, type, start_at)
);
