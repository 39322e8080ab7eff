package org.placeshare.gateway.notify;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import org.placeshare.gateway.observability.Metrics;
import org.placeshare.policy.EventKind;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;

/**
 * Reported changes in PostgreSQL, shared by every gateway instance. An event is kept once per
 * reporting organisation and event id: the same event sent again is given back as stored (a source
 * resending after a lost answer), a different event under an id already used is a clash. A stored
 * event is committed before {@link #keep} completes, so an acknowledged event survives a crash,
 * with its deliveries to the matching subscriptions written in the same transaction ({@link
 * Outbox}).
 */
public final class EventStore {

  /** What keeping an event did. */
  public enum Kept {
    /** Stored now. */
    NEW,
    /** The same event was stored before; the stored one is given back. */
    ALREADY,
    /** Another event is stored under this organisation's id. */
    CONFLICT
  }

  /**
   * The outcome, with the event as stored (for NEW and ALREADY, the one given; for CONFLICT, the
   * other).
   */
  public record Stored(Kept kept, long seq, ChangeEvent event, Instant receivedAt) {}

  private static final String INSERT =
      "INSERT INTO notification_event (organisation, event_id, kind, nhs_number, source,"
          + " occurred_at, received_at, change, fingerprint, reported_by)"
          + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
          + " ON CONFLICT (organisation, event_id) DO NOTHING RETURNING seq";
  private static final String BY_ID =
      "SELECT seq, kind, nhs_number, source, occurred_at, received_at, change, fingerprint"
          + " FROM notification_event WHERE organisation = $1 AND event_id = $2";

  private final Pool pool;
  private final Metrics metrics;

  public EventStore(Pool pool, Metrics metrics) {
    this.pool = pool;
    this.metrics = metrics;
  }

  /** Keeps the event reported by this organisation's client, received now. */
  public Future<Stored> keep(
      ChangeEvent event, OdsCode organisation, String reportedBy, Instant now) {
    // PostgreSQL keeps microseconds: the first answer says the time a resend will read back.
    Instant receivedAt = now.truncatedTo(ChronoUnit.MICROS);
    Tuple row =
        Tuple.tuple()
            .addString(organisation.value())
            .addString(event.id())
            .addString(event.kind().code())
            .addString(event.nhsNumber().toString())
            .addString(event.source())
            .addOffsetDateTime(event.occurredAt().atOffset(ZoneOffset.UTC))
            .addOffsetDateTime(receivedAt.atOffset(ZoneOffset.UTC))
            .addValue(new JsonObject(event.changeJson()))
            .addString(event.fingerprint())
            .addString(reportedBy);
    return pool.withTransaction(
            conn ->
                conn.preparedQuery(INSERT)
                    .execute(row)
                    .compose(
                        inserted -> {
                          if (inserted.rowCount() == 1) {
                            long seq = inserted.iterator().next().getLong("seq");
                            // The outbox in the same transaction: an acknowledged event has its
                            // deliveries written, or neither is.
                            return Outbox.fanOut(conn, seq, event, receivedAt)
                                .map(n -> new Stored(Kept.NEW, seq, event, receivedAt));
                          }
                          return stored(conn, organisation, event.id())
                              .map(
                                  found -> {
                                    Row r = found.orElseThrow();
                                    Kept kept =
                                        r.getString("fingerprint").equals(event.fingerprint())
                                            ? Kept.ALREADY
                                            : Kept.CONFLICT;
                                    return new Stored(
                                        kept,
                                        r.getLong("seq"),
                                        kept == Kept.ALREADY ? event : event(event.id(), r),
                                        r.getOffsetDateTime("received_at").toInstant());
                                  });
                        }))
        // Counted once committed; a clash is a refusal, not an event received.
        .onSuccess(
            stored -> {
              if (stored.kept() != Kept.CONFLICT) {
                metrics.eventReceived(
                    event.kind().code(), stored.kept() == Kept.NEW ? "new" : "repeat");
              }
            });
  }

  /** The event this organisation reported under this id, if any. */
  public Future<Optional<Stored>> find(OdsCode organisation, String eventId) {
    return stored(pool, organisation, eventId)
        .map(
            found ->
                found.map(
                    r ->
                        new Stored(
                            Kept.ALREADY,
                            r.getLong("seq"),
                            event(eventId, r),
                            r.getOffsetDateTime("received_at").toInstant())));
  }

  private static Future<Optional<Row>> stored(SqlClient client, OdsCode organisation, String id) {
    return client
        .preparedQuery(BY_ID)
        .execute(Tuple.of(organisation.value(), id))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next()));
  }

  /**
   * A stored row read back: it was a valid event when kept, so it is rebuilt without re-checking.
   */
  private static ChangeEvent event(String id, Row r) {
    JsonObject change = (JsonObject) r.getValue("change");
    return new ChangeEvent(
        id,
        EventKind.of(r.getString("kind")).orElseThrow(),
        NhsNumber.parse(r.getString("nhs_number")),
        r.getString("source"),
        r.getOffsetDateTime("occurred_at").toInstant(),
        change.getMap());
  }
}
