package org.placeshare.gateway.audit;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * Retention of audit events: an event is kept as long as the longest retention of the agreements it
 * names ({@code audit.retainYears}), or {@link #DEFAULT_YEARS} when it names none. Past that, and
 * only by an explicit operation that is itself audited, it is redacted: personal columns and detail
 * cleared, the row marked, its leaf index and hash kept so the tree still verifies.
 */
public final class AuditRetention {

  /** For events that name no agreement (token requests, refusals before any decision). */
  public static final int DEFAULT_YEARS = 8;

  private static final String CANDIDATES =
      "SELECT leaf_index, recorded_at, detail FROM audit_event"
          + " WHERE redacted_at IS NULL AND leaf_index IS NOT NULL AND recorded_at < $1"
          + " ORDER BY leaf_index";
  private static final String REDACT =
      "UPDATE audit_event SET nhs_number = NULL, organisation = NULL, client_id = NULL,"
          + " user_id = NULL, user_role = NULL, purpose = NULL, request_id = '',"
          + " detail = '{\"redacted\":true}', redacted_at = $2"
          + " WHERE leaf_index = ANY($1) AND redacted_at IS NULL";

  private final Pool pool;

  public AuditRetention(Pool pool) {
    this.pool = pool;
  }

  /**
   * The events past retention at {@code now}; with {@code apply}, redacts them.
   *
   * @param retainYears an agreement id's retention in years, or 0 when no agreement has that id
   */
  public Future<List<Long>> run(Instant now, ToIntFunction<String> retainYears, boolean apply) {
    // Nothing younger than the shortest retention can be due; years of 1 are allowed.
    Instant oldest = now.atOffset(ZoneOffset.UTC).minusYears(1).toInstant();
    return pool.preparedQuery(CANDIDATES)
        .execute(Tuple.of(oldest.atOffset(ZoneOffset.UTC)))
        .compose(
            rows -> {
              List<Long> due = new ArrayList<>();
              for (Row row : rows) {
                int years = years(row.getJsonObject("detail"), retainYears);
                Instant until = row.getOffsetDateTime("recorded_at").plusYears(years).toInstant();
                if (!now.isBefore(until)) {
                  due.add(row.getLong("leaf_index"));
                }
              }
              if (!apply || due.isEmpty()) {
                return Future.succeededFuture(due);
              }
              return pool.preparedQuery(REDACT)
                  .execute(Tuple.of(due.toArray(Long[]::new), now.atOffset(ZoneOffset.UTC)))
                  .map(due);
            });
  }

  private static int years(JsonObject detail, ToIntFunction<String> retainYears) {
    int years = 0;
    for (Object d : detail.getJsonArray("decisions", new JsonArray())) {
      if (d instanceof JsonObject decision) {
        for (Object considered : decision.getJsonArray("considered", new JsonArray())) {
          String id = String.valueOf(considered).split("@", 2)[0];
          years = Math.max(years, retainYears.applyAsInt(id));
        }
      }
    }
    return years == 0 ? DEFAULT_YEARS : years;
  }
}
