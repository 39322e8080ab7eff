-- A source that no longer states a family tie retracts it (HouseholdRegister.restateTies): the
-- tie's row goes, and the change log keeps that it did, by whose word and when.
ALTER TABLE household_change DROP CONSTRAINT household_change_change_check;
ALTER TABLE household_change ADD CONSTRAINT household_change_change_check
    CHECK (change IN ('residence', 'residence-ended', 'tie', 'tie-retracted'));
