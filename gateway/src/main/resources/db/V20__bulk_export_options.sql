-- Bulk Data v2 kick-off options a job keeps, so that a job resumed on another instance does as its
-- kick-off asked: the elements asked for (_elements: each resource subsetted and tagged SUBSETTED)
-- and the notes of parameters ignored under Prefer: handling=lenient (written to the error file).
ALTER TABLE export_job ADD COLUMN elements text[];
ALTER TABLE export_job ADD COLUMN notes text[] NOT NULL DEFAULT '{}';

-- A Patient/$export runs over a snapshot of the organisation's cohorts taken at kick-off: the
-- snapshot is a cohort of its own, deleted with its last job (NHS numbers kept no longer).
ALTER TABLE cohort ADD COLUMN snapshot boolean NOT NULL DEFAULT false;
