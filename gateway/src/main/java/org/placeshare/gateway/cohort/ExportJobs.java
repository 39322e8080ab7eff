package org.placeshare.gateway.cohort;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PurposeOfUse;
import org.placeshare.policy.identity.Caller;
import org.placeshare.policy.identity.JobCallers;

/**
 * Bulk jobs over cohorts, in PostgreSQL. A job is claimed under a lease by one gateway instance at
 * a time; the lease is renewed at every checkpoint, so when an instance stops or dies, another (or
 * the same one restarted) claims the job when the lease runs out and resumes from the last
 * checkpoint.
 */
public final class ExportJobs {

  /** What a job makes: NDJSON files of records, or population figures. */
  public enum Kind {
    EXPORT,
    SUMMARY;

    String code() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public enum Status {
    QUEUED,
    RUNNING,
    COMPLETE,
    FAILED,
    CANCELLED;

    String code() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * One job.
   *
   * @param caller who started it, as their access token said then
   * @param request the kick-off request's URL, for the manifest
   * @param position the next cohort member to take: those before it are done and checkpointed
   * @param progress what the job has made so far, as of the last checkpoint
   * @param includeHousehold each released member's household follows them ({@code
   *     _includeHousehold}), kept so that a resumed job does as its kick-off asked
   * @param elements the elements asked for ({@code _elements}): each resource is written with these
   *     and its mandatory elements only, tagged SUBSETTED
   * @param notes parameters ignored under {@code Prefer: handling=lenient}, for the error file
   */
  public record Job(
      UUID id,
      Kind kind,
      UUID cohort,
      Caller caller,
      Optional<Set<String>> types,
      Optional<Instant> since,
      String request,
      Status status,
      int position,
      JsonObject progress,
      Optional<String> error,
      Instant created,
      Optional<Instant> finished,
      Optional<Instant> expires,
      boolean includeHousehold,
      Optional<Set<String>> elements,
      List<String> notes) {

    public Job {
      progress = progress.copy();
      elements = elements.map(Set::copyOf);
      notes = List.copyOf(notes);
    }

    @Override
    public JsonObject progress() {
      return progress.copy();
    }
  }

  private static final String COLUMNS =
      "id, kind, cohort_id, organisation, client_id, user_id, role, purpose, types, since, request,"
          + " status, position, progress, error, created_at, finished_at, expires_at,"
          + " include_household, elements, notes";
  private static final String INSERT =
      "INSERT INTO export_job (id, kind, cohort_id, organisation, client_id, user_id, role,"
          + " purpose, types, since, request, status, created_at, include_household, elements, notes)"
          + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'queued', $12, $13, $14, $15)";
  private static final String FIND = "SELECT " + COLUMNS + " FROM export_job WHERE id = $1";
  private static final String ACTIVE =
      "SELECT count(*) FROM export_job WHERE client_id = $1 AND status IN ('queued', 'running')";
  private static final String CLAIM =
      "UPDATE export_job SET status = 'running', lease_owner = $1, lease_until = now() +"
          + " make_interval(secs => $2) WHERE id = (SELECT id FROM export_job WHERE status IN"
          + " ('queued', 'running') AND (lease_until IS NULL OR lease_until < now()) ORDER BY"
          + " created_at LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING "
          + COLUMNS;
  private static final String CHECKPOINT =
      "UPDATE export_job SET position = $3, progress = $4, lease_until = now() +"
          + " make_interval(secs => $5) WHERE id = $1 AND lease_owner = $2 AND status = 'running'";
  private static final String COMPLETE =
      "UPDATE export_job SET status = 'complete', progress = $3, finished_at = $4, expires_at ="
          + " $5, lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2 AND"
          + " status = 'running'";
  private static final String FAIL =
      "UPDATE export_job SET status = 'failed', error = $3, finished_at = $4, expires_at = $5,"
          + " lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2 AND status"
          + " = 'running'";
  private static final String RELEASE =
      "UPDATE export_job SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1 AND"
          + " status = 'running'";
  private static final String CANCEL =
      "UPDATE export_job SET status = 'cancelled', finished_at = $2, lease_owner = NULL,"
          + " lease_until = NULL WHERE id = $1 AND status <> 'cancelled'";
  private static final String SWEEP =
      "DELETE FROM export_job WHERE status = 'cancelled' OR expires_at < $1 RETURNING id";
  // A Patient/$export's snapshot of the organisation's people goes with its last job.
  private static final String SWEEP_SNAPSHOTS =
      "DELETE FROM cohort c WHERE c.snapshot AND c.created_at < $1 AND NOT EXISTS (SELECT 1 FROM"
          + " export_job j WHERE j.cohort_id = c.id)";

  /** A snapshot younger than this may be waiting for its job to be created: it stays. */
  static final Duration SNAPSHOT_GRACE = Duration.ofMinutes(5);

  private final Pool pool;
  private final JobCallers callers;

  /**
   * @param callers the right to rebuild each job's caller as it was verified at kick-off; this
   *     store is the one place a job's caller is made
   */
  public ExportJobs(Pool pool, JobCallers callers) {
    this.pool = pool;
    this.callers = callers;
  }

  /**
   * A new job, queued; {@code includeHousehold}: each released member's household follows (false:
   * the cohort's members only).
   */
  public Future<Job> create(
      Kind kind,
      UUID cohort,
      Caller caller,
      Optional<Set<String>> types,
      Optional<Instant> since,
      String request,
      Instant now,
      boolean includeHousehold) {
    return create(
        kind,
        cohort,
        caller,
        types,
        since,
        request,
        now,
        includeHousehold,
        Optional.empty(),
        List.of());
  }

  /**
   * A new job, queued, with the Bulk Data options a kick-off may add: {@code elements} ({@code
   * _elements}) and the notes of parameters it ignored.
   */
  public Future<Job> create(
      Kind kind,
      UUID cohort,
      Caller caller,
      Optional<Set<String>> types,
      Optional<Instant> since,
      String request,
      Instant now,
      boolean includeHousehold,
      Optional<Set<String>> elements,
      List<String> notes) {
    Job job =
        new Job(
            UUID.randomUUID(),
            kind,
            cohort,
            caller,
            types,
            since,
            request,
            Status.QUEUED,
            0,
            new JsonObject(),
            Optional.empty(),
            now,
            Optional.empty(),
            Optional.empty(),
            includeHousehold,
            elements,
            notes);
    return pool.preparedQuery(INSERT)
        .execute(
            Tuple.from(
                new Object[] {
                  job.id(),
                  kind.code(),
                  cohort,
                  caller.organisation().value(),
                  caller.clientId(),
                  caller.userId(),
                  caller.role(),
                  caller.purpose().code(),
                  types.map(t -> t.stream().sorted().toArray(String[]::new)).orElse(null),
                  since.map(s -> s.atOffset(ZoneOffset.UTC)).orElse(null),
                  request,
                  now.atOffset(ZoneOffset.UTC),
                  includeHousehold,
                  elements.map(t -> t.stream().sorted().toArray(String[]::new)).orElse(null),
                  notes.toArray(String[]::new)
                }))
        .map(job);
  }

  public Future<Optional<Job>> find(UUID id) {
    return pool.preparedQuery(FIND)
        .execute(Tuple.of(id))
        .map(
            rows -> rows.size() == 0 ? Optional.empty() : Optional.of(job(rows.iterator().next())));
  }

  /** Jobs this client has queued or running. */
  public Future<Integer> active(String clientId) {
    return pool.preparedQuery(ACTIVE)
        .execute(Tuple.of(clientId))
        .map(rows -> rows.iterator().next().getLong(0).intValue());
  }

  /** The oldest runnable job no live lease holds, now leased to {@code owner}. */
  public Future<Optional<Job>> claim(String owner, Duration lease) {
    return pool.preparedQuery(CLAIM)
        .execute(Tuple.of(owner, (double) lease.toSeconds()))
        .map(
            rows -> rows.size() == 0 ? Optional.empty() : Optional.of(job(rows.iterator().next())));
  }

  /** Records progress and renews the lease; false when the job is no longer this owner's. */
  public Future<Boolean> checkpoint(
      UUID id, String owner, int position, JsonObject progress, Duration lease) {
    return pool.preparedQuery(CHECKPOINT)
        .execute(Tuple.of(id, owner, position, progress, (double) lease.toSeconds()))
        .map(rows -> rows.rowCount() == 1);
  }

  public Future<Boolean> complete(
      UUID id, String owner, JsonObject progress, Instant now, Instant expires) {
    return pool.preparedQuery(COMPLETE)
        .execute(
            Tuple.of(
                id,
                owner,
                progress,
                now.atOffset(ZoneOffset.UTC),
                expires.atOffset(ZoneOffset.UTC)))
        .map(rows -> rows.rowCount() == 1);
  }

  public Future<Boolean> fail(UUID id, String owner, String error, Instant now, Instant expires) {
    return pool.preparedQuery(FAIL)
        .execute(
            Tuple.of(
                id, owner, error, now.atOffset(ZoneOffset.UTC), expires.atOffset(ZoneOffset.UTC)))
        .map(rows -> rows.rowCount() == 1);
  }

  /** Gives up this owner's leases at a graceful stop, so the jobs resume without waiting. */
  public Future<Void> release(String owner) {
    return pool.preparedQuery(RELEASE).execute(Tuple.of(owner)).mapEmpty();
  }

  /** Cancels a job (one already cancelled stays as it was). */
  public Future<Void> cancel(UUID id, Instant now) {
    return pool.preparedQuery(CANCEL)
        .execute(Tuple.of(id, now.atOffset(ZoneOffset.UTC)))
        .mapEmpty();
  }

  /** Deletes cancelled jobs and those past their expiry; returns their ids, to delete files. */
  public Future<List<UUID>> sweep(Instant now) {
    return pool.preparedQuery(SWEEP)
        .execute(Tuple.of(now.atOffset(ZoneOffset.UTC)))
        .map(
            rows -> {
              List<UUID> ids = new ArrayList<>();
              rows.forEach(r -> ids.add(r.getUUID("id")));
              return ids;
            })
        .compose(
            ids ->
                pool.preparedQuery(SWEEP_SNAPSHOTS)
                    .execute(Tuple.of(now.minus(SNAPSHOT_GRACE).atOffset(ZoneOffset.UTC)))
                    .map(ids));
  }

  private Job job(Row r) {
    String[] types = r.getArrayOfStrings("types");
    Object progress = r.getValue("progress");
    return new Job(
        r.getUUID("id"),
        Kind.valueOf(r.getString("kind").toUpperCase(Locale.ROOT)),
        r.getUUID("cohort_id"),
        callers.resume(
            OdsCode.of(r.getString("organisation")),
            r.getString("client_id"),
            r.getString("user_id"),
            r.getString("role"),
            PurposeOfUse.of(r.getString("purpose"))),
        Optional.ofNullable(types).map(Set::of),
        instant(r, "since"),
        r.getString("request"),
        Status.valueOf(r.getString("status").toUpperCase(Locale.ROOT)),
        r.getInteger("position"),
        progress instanceof JsonObject j ? j : new JsonObject(),
        Optional.ofNullable(r.getString("error")),
        r.getOffsetDateTime("created_at").toInstant(),
        instant(r, "finished_at"),
        instant(r, "expires_at"),
        r.getBoolean("include_household"),
        Optional.ofNullable(r.getArrayOfStrings("elements")).map(Set::of),
        List.of(r.getArrayOfStrings("notes")));
  }

  private static Optional<Instant> instant(Row r, String column) {
    OffsetDateTime t = r.getOffsetDateTime(column);
    return Optional.ofNullable(t).map(OffsetDateTime::toInstant);
  }
}
