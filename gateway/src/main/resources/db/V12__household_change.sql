-- Every change to the household register, as it is made: a residence recorded or its end changed,
-- a residence ended because its source no longer gives the address, a family tie recorded. Written
-- by the same statement as the change, so the log cannot miss one; a fact seen again unchanged
-- writes nothing, so re-reading the sources on every view does not flood it. Who lived where, by
-- whose word, and since when the register believed it, can be answered for any person.
CREATE TABLE household_change (
    seq         bigserial   PRIMARY KEY,
    changed_at  timestamptz NOT NULL,
    change      text        NOT NULL CHECK (change IN ('residence', 'residence-ended', 'tie')),
    nhs_number  text        NOT NULL,
    source      text        NOT NULL,
    address_key text,
    from_date   date,
    to_date     date,
    other       text,
    kind        text
);
CREATE INDEX household_change_person ON household_change (nhs_number, changed_at);
CREATE INDEX household_change_other ON household_change (other) WHERE other IS NOT NULL;
