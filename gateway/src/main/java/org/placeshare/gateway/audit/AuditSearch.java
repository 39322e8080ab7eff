package org.placeshare.gateway.audit;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The IG lead's questions of the audit log, as SQL over the stored events: searches with filters
 * and a cursor, a person's accesses, break-glass events awaiting review and the reviews.
 */
public final class AuditSearch {

  /** What to look for; every filter optional. */
  public record Filter(
      Optional<String> patient,
      Optional<String> action,
      Optional<String> request,
      Optional<String> organisation,
      Optional<String> user,
      Optional<String> agreement,
      Optional<String> purpose,
      Optional<String> outcome,
      Optional<Boolean> emergency,
      Optional<Instant> from,
      Optional<Instant> to,
      Optional<Long> before,
      int limit) {

    /** One person's events with one outcome. */
    public static Filter patient(String nhsNumber, String outcome, int limit) {
      return new Filter(
          Optional.of(nhsNumber),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.of(outcome),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          limit);
    }

    /** Every event in a time window. */
    public static Filter window(Instant from, Instant to, int limit) {
      return new Filter(
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.of(from),
          Optional.of(to),
          Optional.empty(),
          limit);
    }
  }

  /** The action a break-glass review is recorded under. */
  public static final String REVIEW_ACTION = "emergency-review";

  /** How a review's detail begins: then the reviewed event's id and a colon. */
  public static final String REVIEW_PREFIX = "review of break-glass event ";

  private static final String SELECT = "SELECT " + AuditRecord.COLUMNS + " FROM audit_event";

  private final Pool pool;

  public AuditSearch(Pool pool) {
    this.pool = pool;
  }

  /** Events matching the filter, newest first, at most {@code limit}, before the cursor. */
  public Future<List<AuditRecord>> events(Filter f) {
    return events(f, List.of());
  }

  /**
   * The same, with the outcome any of {@code outcomes} (none: any outcome); the FHIR search's
   * outcome 0 (success) is two of the log's outcomes, permitted and evaluated.
   */
  public Future<List<AuditRecord>> events(Filter f, List<String> outcomes) {
    List<String> where = new ArrayList<>();
    Tuple args = Tuple.tuple();
    where.add("leaf_index IS NOT NULL");
    if (!outcomes.isEmpty()) {
      where.add("outcome = ANY(" + arg(args, outcomes.toArray(String[]::new)) + ")");
    }
    f.patient().ifPresent(v -> where.add("nhs_number = " + arg(args, v)));
    f.action().ifPresent(v -> where.add("action = " + arg(args, v)));
    f.request().ifPresent(v -> where.add("request_id = " + arg(args, v)));
    f.organisation().ifPresent(v -> where.add("organisation = " + arg(args, v)));
    f.user().ifPresent(v -> where.add("user_id = " + arg(args, v)));
    f.purpose().ifPresent(v -> where.add("purpose = " + arg(args, v)));
    f.outcome().ifPresent(v -> where.add("outcome = " + arg(args, v)));
    f.emergency().ifPresent(v -> where.add("emergency = " + arg(args, v)));
    f.agreement()
        .ifPresent(
            v ->
                where.add(
                    "EXISTS (SELECT 1 FROM jsonb_array_elements(detail->'decisions') d"
                        + " WHERE split_part(d->>'agreement', '@', 1) = "
                        + arg(args, v)
                        + ")"));
    f.from().ifPresent(v -> where.add("recorded_at >= " + arg(args, v.atOffset(ZoneOffset.UTC))));
    f.to().ifPresent(v -> where.add("recorded_at < " + arg(args, v.atOffset(ZoneOffset.UTC))));
    f.before().ifPresent(v -> where.add("leaf_index < " + arg(args, v)));
    String sql =
        SELECT
            + " WHERE "
            + String.join(" AND ", where)
            + " ORDER BY leaf_index DESC LIMIT "
            + arg(args, f.limit());
    return pool.preparedQuery(sql).execute(args).map(AuditSearch::records);
  }

  /**
   * The outcome of a review that leaves the event open: it stays in the queue and may be reviewed
   * again. Any other outcome closes it.
   */
  public static final String FOLLOW_UP = "needs-follow-up";

  /**
   * Break-glass releases with no closing review yet (none, or only {@value #FOLLOW_UP}), oldest
   * first. Only permitted review events count: a refused attempt closes nothing.
   */
  public Future<List<AuditRecord>> awaitingReview(int limit) {
    return pool.preparedQuery(
            SELECT
                + " e WHERE emergency AND outcome = 'permitted' AND leaf_index IS NOT NULL"
                + " AND NOT EXISTS (SELECT 1 FROM audit_event r WHERE r.action = $1"
                + " AND r.outcome = 'permitted'"
                + " AND r.detail->>'detail' LIKE $2 || e.event_id::text || ':%'"
                + " AND r.detail->>'detail' NOT LIKE $2 || e.event_id::text || ': ' || $3 || ';%')"
                + " ORDER BY leaf_index LIMIT $4")
        .execute(Tuple.of(REVIEW_ACTION, REVIEW_PREFIX, FOLLOW_UP, limit))
        .map(AuditSearch::records);
  }

  /** One event by its id. */
  public Future<Optional<AuditRecord>> event(UUID eventId) {
    return pool.preparedQuery(SELECT + " WHERE event_id = $1")
        .execute(Tuple.of(eventId))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(records(rows).get(0)));
  }

  /** The reviews recorded of an event (by its UUID), oldest first: its review history. */
  public Future<List<AuditRecord>> reviewsOf(UUID eventId) {
    return pool.preparedQuery(
            SELECT
                + " WHERE action = $1 AND outcome = 'permitted'"
                + " AND detail->>'detail' LIKE $2 ORDER BY seq")
        .execute(Tuple.of(REVIEW_ACTION, REVIEW_PREFIX + eventId + ":%"))
        .map(AuditSearch::records);
  }

  private static String arg(Tuple args, Object value) {
    args.addValue(value);
    return "$" + args.size();
  }

  private static List<AuditRecord> records(Iterable<Row> rows) {
    List<AuditRecord> out = new ArrayList<>();
    rows.forEach(r -> out.add(AuditRecord.from(r)));
    return out;
  }
}
