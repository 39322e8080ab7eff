package org.placeshare.gateway.notify;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.placeshare.policy.EventKind;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;

/**
 * The outbox as an operator or an IG lead sees it: every subscription, the deliveries in one status
 * (pending or dead, say) and the count in each. Read only; the IG console's Notifications page and
 * {@code placeshare notifications} both read through it. Each delivery carries its person: whoever
 * shows it decides whether to (the console does not, the command only when asked).
 */
public final class DeliveryLedger {

  /** A delivery's states, in the order an operator reads them. */
  public static final List<String> STATUSES = List.of("pending", "dead", "refused", "delivered");

  /** Most rows one listing reads. */
  public static final int MAX_LIMIT = 500;

  /** One delivery row, with the event and subscription it joins. */
  public record Delivery(
      long id,
      String idempotencyKey,
      String status,
      EventKind kind,
      String eventId,
      String source,
      UUID subscription,
      String clientId,
      OdsCode subscriber,
      int attempts,
      Optional<String> lastError,
      Instant nextAttemptAt,
      Instant created,
      Instant updated,
      NhsNumber person) {}

  private static final String COUNTS =
      "SELECT status, count(*) AS n FROM notification_delivery GROUP BY status";
  private static final String SUBSCRIPTIONS =
      "SELECT id, client_id, organisation, purpose, kinds, cohort_id, endpoint, status, created_at"
          + " FROM subscription ORDER BY created_at DESC, id LIMIT $1";
  // Dead letters newest first (the latest trouble on top); pending in the order they are due.
  private static final String DELIVERIES =
      "SELECT d.id, d.idempotency_key, d.status, d.attempts, d.last_error, d.next_attempt_at,"
          + " d.created_at, d.updated_at, d.nhs_number, d.subscription_id, e.kind, e.event_id,"
          + " e.source, s.client_id, s.organisation"
          + " FROM notification_delivery d JOIN notification_event e ON e.seq = d.event_seq"
          + " JOIN subscription s ON s.id = d.subscription_id WHERE d.status = $1"
          + " ORDER BY CASE WHEN d.status = 'pending' THEN d.next_attempt_at END, d.updated_at DESC,"
          + " d.id DESC LIMIT $2";

  private final Pool pool;

  public DeliveryLedger(Pool pool) {
    this.pool = pool;
  }

  /** How many deliveries are in each status, every status named (0 when none). */
  public Future<Map<String, Long>> counts() {
    return pool.query(COUNTS)
        .execute()
        .map(
            rows -> {
              Map<String, Long> counts = new LinkedHashMap<>();
              STATUSES.forEach(s -> counts.put(s, 0L));
              for (Row r : rows) {
                counts.put(r.getString("status"), r.getLong("n"));
              }
              return counts;
            });
  }

  /** The subscriptions, newest first, at most {@code limit} (capped at {@link #MAX_LIMIT}). */
  public Future<List<Subscription>> subscriptions(int limit) {
    return pool.preparedQuery(SUBSCRIPTIONS)
        .execute(Tuple.of(cap(limit)))
        .map(
            rows -> {
              List<Subscription> found = new ArrayList<>();
              rows.forEach(r -> found.add(SubscriptionStore.of(r)));
              return found;
            });
  }

  /**
   * The deliveries in this status (one of {@link #STATUSES}): pending in the order they are due,
   * others newest first; at most {@code limit} (capped at {@link #MAX_LIMIT}).
   */
  public Future<List<Delivery>> deliveries(String status, int limit) {
    if (!STATUSES.contains(status)) {
      return Future.failedFuture(
          new IllegalArgumentException("status: expected one of " + STATUSES + ", got " + status));
    }
    return pool.preparedQuery(DELIVERIES)
        .execute(Tuple.of(status, cap(limit)))
        .map(
            rows -> {
              List<Delivery> found = new ArrayList<>();
              rows.forEach(r -> found.add(delivery(r)));
              return found;
            });
  }

  private static int cap(int limit) {
    return Math.max(1, Math.min(limit, MAX_LIMIT));
  }

  private static Delivery delivery(Row r) {
    return new Delivery(
        r.getLong("id"),
        r.getString("idempotency_key"),
        r.getString("status"),
        EventKind.of(r.getString("kind")).orElseThrow(),
        r.getString("event_id"),
        r.getString("source"),
        r.getUUID("subscription_id"),
        r.getString("client_id"),
        OdsCode.of(r.getString("organisation")),
        r.getInteger("attempts"),
        Optional.ofNullable(r.getString("last_error")),
        r.getOffsetDateTime("next_attempt_at").toInstant(),
        r.getOffsetDateTime("created_at").toInstant(),
        r.getOffsetDateTime("updated_at").toInstant(),
        NhsNumber.parse(r.getString("nhs_number")));
  }
}
