-- Tell us once (issue 19), delivery: a transactional outbox. When a new event is stored, the same
-- transaction writes one row per active subscription whose criteria match it (kind, and cohort or
-- care relationship), so an acknowledged event is never lost between storing and delivering. The
-- delivery worker leases due rows (FOR UPDATE SKIP LOCKED, a lease with an expiry, so two gateway
-- instances never deliver one row at once), decides each at delivery time and sends it.
CREATE TABLE notification_delivery (
  id               bigserial    PRIMARY KEY,
  event_seq        bigint       NOT NULL REFERENCES notification_event (seq),
  subscription_id  uuid         NOT NULL REFERENCES subscription (id) ON DELETE CASCADE,
  nhs_number       text         NOT NULL,  -- the event's person, for ordering per person
  idempotency_key  text         NOT NULL UNIQUE,  -- one per event and subscription, sent on every try
  status           text         NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'delivered', 'refused', 'dead')),
  attempts         integer      NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz  NOT NULL,
  lease_owner      text,
  lease_until      timestamptz,
  last_error       text         CHECK (octet_length(last_error) <= 512),  -- safe text, no personal data
  created_at       timestamptz  NOT NULL,
  updated_at       timestamptz  NOT NULL,
  UNIQUE (event_seq, subscription_id)
);

-- The worker reads what is due; ordering per person reads a subscription's earlier rows.
CREATE INDEX notification_delivery_due ON notification_delivery (next_attempt_at, id)
  WHERE status = 'pending';
CREATE INDEX notification_delivery_person ON notification_delivery (subscription_id, nhs_number, id)
  WHERE status = 'pending';
