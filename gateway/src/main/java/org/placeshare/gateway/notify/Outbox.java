package org.placeshare.gateway.notify;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.ZoneOffset;

/**
 * The transactional outbox's write side: a new event is fanned out, in the transaction that stores
 * it, to one {@code notification_delivery} row per active subscription whose criteria match (the
 * event's kind, and the person in the subscription's cohort or in a live care relationship with its
 * organisation). Whether each may be sent is decided later, at delivery ({@link DeliveryWorker});
 * this only says who asked to hear.
 */
final class Outbox {

  // Each row's idempotency key is random ('ps-' and a UUID): a key built from the event's sequence
  // number would tell every receiver how many events the whole gateway takes.

  private static final String FAN_OUT =
      "INSERT INTO notification_delivery (event_seq, subscription_id, nhs_number, idempotency_key,"
          + " next_attempt_at, created_at, updated_at)"
          + " SELECT $1::bigint, s.id, $3::text, 'ps-' || gen_random_uuid(),"
          + " $4::timestamptz, $4::timestamptz, $4::timestamptz FROM subscription s"
          + " WHERE s.status = 'active' AND $2::text = ANY (s.kinds) AND ("
          + " (s.cohort_id IS NOT NULL AND EXISTS (SELECT 1 FROM cohort_member m"
          + "   WHERE m.cohort_id = s.cohort_id AND m.nhs_number = $3::text))"
          + " OR (s.cohort_id IS NULL AND EXISTS (SELECT 1 FROM care_relationship r"
          + "   WHERE r.nhs_number = $3::text AND r.organisation = s.organisation"
          + "   AND r.ended_at IS NULL)))"
          + " ON CONFLICT (event_seq, subscription_id) DO NOTHING";
  private static final String FANNED_OUT =
      "UPDATE notification_event SET status = 'fanned-out' WHERE seq = $1";

  private Outbox() {}

  /** Writes the event's deliveries; answers how many. Run in the transaction that stored it. */
  static Future<Integer> fanOut(SqlClient tx, long seq, ChangeEvent event, Instant now) {
    return tx.preparedQuery(FAN_OUT)
        .execute(
            Tuple.of(
                seq,
                event.kind().code(),
                event.nhsNumber().toString(),
                now.atOffset(ZoneOffset.UTC)))
        .compose(
            rows -> tx.preparedQuery(FANNED_OUT).execute(Tuple.of(seq)).map(x -> rows.rowCount()));
  }
}
