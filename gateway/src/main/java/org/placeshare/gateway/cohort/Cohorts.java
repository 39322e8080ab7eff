package org.placeshare.gateway.cohort;

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
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;

/**
 * Cohorts in PostgreSQL: the lists of NHS numbers recipients registered, read back in pages so that
 * nothing holds a whole cohort in memory. A cohort belongs to the organisation that registered it;
 * no other may see or use it.
 */
public final class Cohorts {

  /** A registered cohort, without its members. */
  public record Cohort(
      UUID id,
      OdsCode organisation,
      String clientId,
      Optional<String> name,
      int members,
      Instant created) {}

  private static final String INSERT =
      "INSERT INTO cohort (id, organisation, client_id, name, members, created_at) VALUES ($1, $2,"
          + " $3, $4, $5, $6)";
  private static final String INSERT_MEMBER =
      "INSERT INTO cohort_member (cohort_id, position, nhs_number) VALUES ($1, $2, $3)";
  private static final String FIND =
      "SELECT id, organisation, client_id, name, members, created_at FROM cohort WHERE id = $1";
  private static final String MEMBERS =
      "SELECT nhs_number FROM cohort_member WHERE cohort_id = $1 AND position >= $2 ORDER BY"
          + " position LIMIT $3";

  private static final String JOBS = "SELECT id FROM export_job WHERE cohort_id = $1";
  private static final String DELETE = "DELETE FROM cohort WHERE id = $1 AND organisation = $2";

  /** The people of an organisation's own cohorts, each once: a Patient/$export's population. */
  private static final String PEOPLE =
      "SELECT count(DISTINCT m.nhs_number) FROM cohort_member m JOIN cohort c ON c.id ="
          + " m.cohort_id WHERE c.organisation = $1 AND NOT c.snapshot";

  private static final String INSERT_SNAPSHOT =
      "INSERT INTO cohort (id, organisation, client_id, name, members, created_at, snapshot) VALUES"
          + " ($1, $2, $3, $4, 0, $5, true)";
  private static final String SNAPSHOT_MEMBERS =
      "INSERT INTO cohort_member (cohort_id, position, nhs_number) SELECT $1, (row_number() OVER"
          + " (ORDER BY p.nhs_number)) - 1, p.nhs_number FROM (SELECT DISTINCT m.nhs_number FROM"
          + " cohort_member m JOIN cohort c ON c.id = m.cohort_id WHERE c.organisation = $2 AND NOT"
          + " c.snapshot) p ORDER BY p.nhs_number LIMIT $3";
  private static final String SNAPSHOT_SIZE = "UPDATE cohort SET members = $2 WHERE id = $1";

  private final Pool pool;

  public Cohorts(Pool pool) {
    this.pool = pool;
  }

  /** Stores a cohort and its members, in the order given, in one transaction. */
  public Future<Cohort> register(
      OdsCode organisation,
      String clientId,
      Optional<String> name,
      List<NhsNumber> members,
      Instant now) {
    Cohort cohort =
        new Cohort(UUID.randomUUID(), organisation, clientId, name, members.size(), now);
    List<Tuple> rows = new ArrayList<>(members.size());
    for (int i = 0; i < members.size(); i++) {
      rows.add(Tuple.of(cohort.id(), i, members.get(i).toString()));
    }
    return pool.withTransaction(
        c ->
            c.preparedQuery(INSERT)
                .execute(
                    Tuple.of(
                        cohort.id(),
                        organisation.value(),
                        clientId,
                        name.orElse(null),
                        members.size(),
                        now.atOffset(ZoneOffset.UTC)))
                .compose(x -> c.preparedQuery(INSERT_MEMBER).executeBatch(rows))
                .map(cohort));
  }

  /** The cohort, if it exists and belongs to this organisation: to any other it does not exist. */
  public Future<Optional<Cohort>> find(UUID id, OdsCode organisation) {
    return pool.preparedQuery(FIND)
        .execute(Tuple.of(id))
        .map(
            rows -> {
              if (rows.size() == 0) {
                return Optional.<Cohort>empty();
              }
              Row r = rows.iterator().next();
              if (!r.getString("organisation").equals(organisation.value())) {
                return Optional.<Cohort>empty();
              }
              return Optional.of(
                  new Cohort(
                      r.getUUID("id"),
                      organisation,
                      r.getString("client_id"),
                      Optional.ofNullable(r.getString("name")),
                      r.getInteger("members"),
                      r.getOffsetDateTime("created_at").toInstant()));
            });
  }

  /**
   * Deletes a cohort of this organisation with its members and its jobs (their rows; the caller
   * deletes their files). Answers the jobs' ids, or empty when there was no such cohort.
   */
  public Future<Optional<List<UUID>>> delete(UUID id, OdsCode organisation) {
    return pool.withTransaction(
        c ->
            c.preparedQuery(JOBS)
                .execute(Tuple.of(id))
                .compose(
                    rows -> {
                      List<UUID> jobs = new ArrayList<>();
                      rows.forEach(r -> jobs.add(r.getUUID("id")));
                      return c.preparedQuery(DELETE)
                          .execute(Tuple.of(id, organisation.value()))
                          .map(
                              deleted ->
                                  deleted.rowCount() == 1
                                      ? Optional.of(List.copyOf(jobs))
                                      : Optional.<List<UUID>>empty());
                    }));
  }

  /** How many people the organisation's own cohorts hold, each counted once. */
  public Future<Integer> people(OdsCode organisation) {
    return pool.preparedQuery(PEOPLE)
        .execute(Tuple.of(organisation.value()))
        .map(rows -> rows.iterator().next().getLong(0).intValue());
  }

  /**
   * A snapshot of the people of the organisation's own cohorts, each once (in NHS number order, at
   * most {@code limit}), as a cohort of its own that a {@code Patient/$export} job runs over. It is
   * deleted with its last job.
   */
  public Future<Cohort> snapshot(OdsCode organisation, String clientId, int limit, Instant now) {
    UUID id = UUID.randomUUID();
    Optional<String> name = Optional.of("Patient/$export population");
    return pool.withTransaction(
        c ->
            c.preparedQuery(INSERT_SNAPSHOT)
                .execute(
                    Tuple.of(
                        id,
                        organisation.value(),
                        clientId,
                        name.get(),
                        now.atOffset(ZoneOffset.UTC)))
                .compose(
                    x ->
                        c.preparedQuery(SNAPSHOT_MEMBERS)
                            .execute(Tuple.of(id, organisation.value(), limit)))
                .compose(
                    inserted ->
                        c.preparedQuery(SNAPSHOT_SIZE)
                            .execute(Tuple.of(id, inserted.rowCount()))
                            .map(
                                y ->
                                    new Cohort(
                                        id,
                                        organisation,
                                        clientId,
                                        name,
                                        inserted.rowCount(),
                                        now))));
  }

  /** Up to {@code limit} members from position {@code from}, in the order registered. */
  public Future<List<NhsNumber>> members(UUID cohort, int from, int limit) {
    return pool.preparedQuery(MEMBERS)
        .execute(Tuple.of(cohort, from, limit))
        .map(
            rows -> {
              List<NhsNumber> members = new ArrayList<>(rows.size());
              rows.forEach(r -> members.add(NhsNumber.parse(r.getString("nhs_number"))));
              return members;
            });
  }
}
