-- The household register: where people live (from when to when, as each source says) and the
-- family ties sources state, between NHS numbers. Households are not stored: they are the people
-- living at one address on a day, worked out when asked, so a move is one row, not a rebuild.

-- An address key is 'uprn:<digits>' where a source gives a UPRN, else
-- 'addr:<POSTCODE>|<normalised first line>' (AddressKey).
CREATE TABLE household_residence (
    nhs_number  text        NOT NULL,
    address_key text        NOT NULL,
    source      text        NOT NULL,
    from_date   date        NOT NULL,
    to_date     date,
    recorded_at timestamptz NOT NULL,
    PRIMARY KEY (nhs_number, address_key, source, from_date),
    CHECK (to_date IS NULL OR to_date >= from_date)
);
CREATE INDEX household_residence_at ON household_residence (address_key, from_date);

-- A stated family tie: 'parent' (a is a parent of b) or 'carer' (a cares for b).
CREATE TABLE family_tie (
    a           text        NOT NULL,
    b           text        NOT NULL,
    kind        text        NOT NULL CHECK (kind IN ('parent', 'carer')),
    source      text        NOT NULL,
    recorded_at timestamptz NOT NULL,
    PRIMARY KEY (a, b, kind, source),
    CHECK (a <> b)
);
CREATE INDEX family_tie_b ON family_tie (b);
