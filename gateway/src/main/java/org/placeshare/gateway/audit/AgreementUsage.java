package org.placeshare.gateway.audit;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * How each agreement was used per day, from the audit log: requests, permitted, refused, people,
 * records shared. A request is one audited view or one cohort member released by a bulk export,
 * counted once for each agreement it was weighed under however many sources were decided; permitted
 * when the agreement permitted at least one source. The owner of the audit table answers it; the
 * wiring names which audited actions are requests.
 */
public final class AgreementUsage {

  private static final String DECIDED_BY =
      "d->>'effect' = 'permit' AND split_part(d->>'agreement', '@', 1) = split_part(c, '@', 1)";

  private static final String SQL =
      "SELECT agreement, day, count(*) AS requests,"
          + " count(*) FILTER (WHERE permitted) AS permitted,"
          + " count(DISTINCT nhs_number) FILTER (WHERE permitted) AS people,"
          + " coalesce(sum(records), 0) AS records"
          + " FROM (SELECT event_id, nhs_number, split_part(c, '@', 1) AS agreement,"
          + " (recorded_at AT TIME ZONE 'UTC')::date AS day,"
          + " bool_or("
          + DECIDED_BY
          + ") AS permitted,"
          + " sum(jsonb_array_length(coalesce(detail->'released'->(d->>'source'), '[]'::jsonb)))"
          + " FILTER (WHERE "
          + DECIDED_BY
          + ") AS records"
          + " FROM audit_event, jsonb_array_elements(detail->'decisions') d,"
          + " jsonb_array_elements_text(d->'considered') c"
          + " WHERE recorded_at >= $1 AND action = ANY($2) GROUP BY 1, 2, 3, 4) per_request"
          + " GROUP BY 1, 2 ORDER BY 1, 2";

  private final Pool pool;
  private final String[] requestActions;

  /** Counts the audit events of {@code requestActions} as requests. */
  public AgreementUsage(Pool pool, Set<String> requestActions) {
    this.pool = pool;
    this.requestActions = requestActions.stream().sorted().toArray(String[]::new);
  }

  /** One day's use of an agreement. */
  public record Day(
      LocalDate day, long requests, long permitted, long refused, long people, long records) {}

  /** Per agreement id (without its version), each day since {@code since} that saw use. */
  public Future<Map<String, Map<LocalDate, Day>>> since(Instant since) {
    return pool.preparedQuery(SQL)
        .execute(
            Tuple.tuple()
                .addOffsetDateTime(since.atOffset(ZoneOffset.UTC))
                .addArrayOfString(requestActions))
        .map(
            rows -> {
              Map<String, Map<LocalDate, Day>> out = new LinkedHashMap<>();
              for (Row r : rows) {
                long requests = r.getLong("requests");
                long permitted = r.getLong("permitted");
                LocalDate day = r.getLocalDate("day");
                out.computeIfAbsent(r.getString("agreement"), k -> new TreeMap<>())
                    .put(
                        day,
                        new Day(
                            day,
                            requests,
                            permitted,
                            requests - permitted,
                            r.getLong("people"),
                            r.getLong("records")));
              }
              return out;
            });
  }
}
