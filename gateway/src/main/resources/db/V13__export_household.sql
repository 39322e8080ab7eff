-- Households in bulk exports (issue 18). A job records whether it follows each member's household,
-- so a resumed job keeps what its kick-off asked. Who a job has decided (each person once, a
-- cohort member or another member's household) and which households they belong to are its own
-- state: each row names the chunk that wrote it, and a resumed job drops the rows of chunks after
-- its last checkpoint, as it cuts its files back. Deleted with the job.
ALTER TABLE export_job ADD COLUMN include_household boolean NOT NULL DEFAULT false;

-- Everyone a job decided: patient_id is the pseudonymous Patient id they were released with, null
-- when they were left out (counted, never named, never asked about again in this job).
CREATE TABLE export_person (
  job_id      uuid     NOT NULL REFERENCES export_job (id) ON DELETE CASCADE,
  nhs_number  text     NOT NULL,
  chunk       integer  NOT NULL,
  patient_id  text,
  PRIMARY KEY (job_id, nhs_number)
);

-- Who belongs to which household in a job: a digest of the household's address (never the address),
-- each released member of it later written as a member of one Group.
CREATE TABLE export_household_member (
  job_id      uuid     NOT NULL REFERENCES export_job (id) ON DELETE CASCADE,
  household   text     NOT NULL,
  nhs_number  text     NOT NULL,
  chunk       integer  NOT NULL,
  PRIMARY KEY (job_id, household, nhs_number)
);
