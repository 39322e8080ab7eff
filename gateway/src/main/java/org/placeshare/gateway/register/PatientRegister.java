package org.placeshare.gateway.register;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.placeshare.policy.Agreement;
import org.placeshare.policy.CareRelationship;
import org.placeshare.policy.Decision;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PatientFacts;
import org.placeshare.policy.RelationshipKind;

/**
 * The patient register and the relationship register in PostgreSQL: what the policy needs to know
 * of a person before deciding, and the pilot usage counters. Shared by every gateway instance on
 * the database, so an opt-out or a volume cap holds everywhere at once.
 */
public final class PatientRegister {

  /** One person's register entry, as imported. */
  public record Entry(
      NhsNumber patient, boolean optedOut, boolean restricted, Optional<String> postcodeDistrict) {}

  /**
   * The register's entry (if any) and the open care relationships, in one statement: a view asks
   * for both, and one round trip is half the work of two (issue 22).
   */
  private static final String FACTS =
      "SELECT p.opted_out, p.restricted, p.postcode_district, c.organisations, c.kinds"
          + " FROM (SELECT 1) AS one LEFT JOIN patient_register p ON p.nhs_number = $1"
          + " CROSS JOIN LATERAL (SELECT array_agg(organisation) AS organisations,"
          + " array_agg(kind) AS kinds FROM care_relationship WHERE nhs_number = $1"
          + " AND ended_at IS NULL) AS c";

  private static final String FACTS_OF_MANY =
      "SELECT nhs_number, opted_out, restricted, postcode_district FROM patient_register WHERE"
          + " nhs_number = ANY($1)";
  private static final String RELATIONSHIPS_OF_MANY =
      "SELECT nhs_number, organisation, kind FROM care_relationship WHERE nhs_number = ANY($1) AND"
          + " ended_at IS NULL";
  private static final String UPSERT =
      "INSERT INTO patient_register (nhs_number, opted_out, restricted, postcode_district,"
          + " updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (nhs_number) DO UPDATE SET"
          + " opted_out = $2, restricted = $3, postcode_district = $4, updated_at = $5";

  /**
   * A relationship learnt, or seen again: refreshed at most daily, so that every view of a known
   * person does not rewrite the same rows (a dead row and a WAL flush each). A row fresh and open
   * is not even proposed for insertion: a conflict would lock it (a WAL record, a transaction id, a
   * WAL flush at its commit, and a wait for every other view of the person), for an update its
   * condition then skips (issue 22: under load these waits were the database's largest).
   */
  private static final String RELATE =
      "INSERT INTO care_relationship (nhs_number, organisation, kind, recorded_at)"
          + " SELECT $1::char(10), $2::text, $3::text, $4::timestamptz WHERE NOT EXISTS (SELECT 1"
          + " FROM care_relationship WHERE nhs_number = $1::char(10) AND organisation = $2::text"
          + " AND kind = $3::text AND ended_at IS NULL AND recorded_at >= $4::timestamptz -"
          + " interval '1 day') ON CONFLICT (nhs_number, organisation, kind) DO UPDATE SET"
          + " recorded_at = excluded.recorded_at, ended_at = NULL WHERE"
          + " care_relationship.ended_at IS NOT NULL OR care_relationship.recorded_at <"
          + " excluded.recorded_at - interval '1 day'";

  private static final String USAGE =
      "SELECT agreement_id, released FROM pilot_usage WHERE recipient = $1 AND day = $2 AND"
          + " agreement_id = ANY($3)";

  private final Pool pool;

  public PatientRegister(Pool pool) {
    this.pool = pool;
  }

  /** What is known of the person; {@link PatientFacts#UNKNOWN}'s defaults where nothing is. */
  public Future<PatientFacts> facts(NhsNumber patient) {
    return pool.preparedQuery(FACTS)
        .execute(Tuple.of(patient.toString()))
        .map(
            rows -> {
              Row row = rows.iterator().next();
              Set<CareRelationship> relationships = new HashSet<>();
              String[] organisations = row.getArrayOfStrings("organisations");
              String[] kinds = row.getArrayOfStrings("kinds");
              for (int i = 0; organisations != null && i < organisations.length; i++) {
                OdsCode organisation = OdsCode.of(organisations[i]);
                RelationshipKind.of(kinds[i])
                    .ifPresent(kind -> relationships.add(new CareRelationship(organisation, kind)));
              }
              // No entry: PatientFacts.UNKNOWN's defaults (the left join's nulls).
              return new PatientFacts(
                  Boolean.TRUE.equals(row.getBoolean("opted_out")),
                  Boolean.TRUE.equals(row.getBoolean("restricted")),
                  Optional.ofNullable(row.getString("postcode_district")),
                  relationships);
            });
  }

  /**
   * What is known of each of these people, as {@link #facts} reads it for one, in two queries
   * whatever their number: a bulk job reads a chunk's members at once. Every person asked for is in
   * the answer, with {@link PatientFacts#UNKNOWN}'s defaults where nothing is known.
   */
  public Future<Map<NhsNumber, PatientFacts>> factsOf(Collection<NhsNumber> patients) {
    Tuple keys = Tuple.of(patients.stream().map(NhsNumber::toString).toArray(String[]::new));
    Future<Map<String, Row>> entries =
        pool.preparedQuery(FACTS_OF_MANY)
            .execute(keys)
            .map(
                rows -> {
                  Map<String, Row> byNumber = new HashMap<>();
                  rows.forEach(r -> byNumber.put(r.getString("nhs_number"), r));
                  return byNumber;
                });
    Future<Map<String, Set<CareRelationship>>> relationships =
        pool.preparedQuery(RELATIONSHIPS_OF_MANY)
            .execute(keys)
            .map(
                rows -> {
                  Map<String, Set<CareRelationship>> byNumber = new HashMap<>();
                  for (Row row : rows) {
                    RelationshipKind.of(row.getString("kind"))
                        .ifPresent(
                            kind ->
                                byNumber
                                    .computeIfAbsent(
                                        row.getString("nhs_number"), k -> new HashSet<>())
                                    .add(
                                        new CareRelationship(
                                            OdsCode.of(row.getString("organisation")), kind)));
                  }
                  return byNumber;
                });
    return Future.all(entries, relationships)
        .map(
            all -> {
              Map<NhsNumber, PatientFacts> facts = new HashMap<>();
              for (NhsNumber patient : patients) {
                String key = patient.toString();
                Optional<Row> row = Optional.ofNullable(entries.result().get(key));
                facts.put(
                    patient,
                    new PatientFacts(
                        row.map(r -> r.getBoolean("opted_out")).orElse(false),
                        row.map(r -> r.getBoolean("restricted")).orElse(false),
                        row.map(r -> r.getString("postcode_district")),
                        relationships.result().getOrDefault(key, Set.of())));
              }
              return facts;
            });
  }

  /** Adds or replaces register entries, in one transaction. */
  public Future<Void> upsert(List<Entry> entries, Instant now) {
    if (entries.isEmpty()) {
      return Future.succeededFuture();
    }
    List<Tuple> rows =
        entries.stream()
            .map(
                e ->
                    Tuple.of(
                        e.patient().toString(),
                        e.optedOut(),
                        e.restricted(),
                        e.postcodeDistrict().orElse(null),
                        now.atOffset(ZoneOffset.UTC)))
            .toList();
    return pool.withTransaction(c -> c.preparedQuery(UPSERT).executeBatch(rows)).mapEmpty();
  }

  /** Records many care relationships in one batch, as an import does. */
  public Future<Void> relateAll(
      Map<NhsNumber, ? extends Collection<CareRelationship>> relationships, Instant now) {
    List<Tuple> rows = new ArrayList<>();
    relationships.forEach((patient, cares) -> cares.forEach(c -> rows.add(row(patient, c, now))));
    return rows.isEmpty()
        ? Future.succeededFuture()
        : pool.withTransaction(c -> c.preparedQuery(RELATE).executeBatch(rows)).mapEmpty();
  }

  /**
   * Records the care relationships a view showed, in one batch (one round trip however many; issue
   * 22), in key order so that two views of one person never wait on each other's rows in a cycle.
   */
  public Future<Void> relateEach(
      NhsNumber patient, Collection<CareRelationship> relationships, Instant now) {
    List<Tuple> rows =
        relationships.stream()
            .sorted(
                Comparator.comparing((CareRelationship c) -> c.organisation().value())
                    .thenComparing(c -> c.kind().code()))
            .map(c -> row(patient, c, now))
            .toList();
    return rows.isEmpty()
        ? Future.succeededFuture()
        : pool.preparedQuery(RELATE).executeBatch(rows).mapEmpty();
  }

  /** Records that an organisation cares for a person. */
  public Future<Void> relate(NhsNumber patient, CareRelationship relationship, Instant now) {
    return pool.preparedQuery(RELATE).execute(row(patient, relationship, now)).mapEmpty();
  }

  /** A care relationship as {@code RELATE} takes it. */
  private static Tuple row(NhsNumber patient, CareRelationship c, Instant now) {
    return Tuple.of(
        patient.toString(),
        c.organisation().value(),
        c.kind().code(),
        now.atOffset(ZoneOffset.UTC));
  }

  /** Releases so far on {@code day} to a recipient, by agreement id, for the pilot caps. */
  public Future<Map<String, Integer>> releasedOn(
      OdsCode recipient, LocalDate day, List<String> agreementIds) {
    if (agreementIds.isEmpty()) {
      return Future.succeededFuture(Map.of());
    }
    return pool.preparedQuery(USAGE)
        .execute(Tuple.of(recipient.value(), day, agreementIds.toArray(String[]::new)))
        .map(
            rows -> {
              Map<String, Integer> used = new HashMap<>();
              rows.forEach(r -> used.put(r.getString("agreement_id"), r.getInteger("released")));
              return used;
            });
  }

  /**
   * One release to {@code recipient} counted for each pilot agreement with a daily volume among the
   * permits, before the records leave: in one transaction, and each only under its cap. Requests on
   * any instance that each read a count under the cap cannot pass it together: the ones that come
   * too late are told here. Answers the agreements whose cap was already reached, having counted
   * nothing; empty when every release was counted.
   */
  public Future<List<Agreement>> countReleases(
      Collection<Decision> permits, OdsCode recipient, LocalDate day) {
    Optional<PilotCount> owed = PilotCount.of(permits, recipient, day);
    if (owed.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    return pool.withTransaction(
            conn -> {
              Future<List<Agreement>> full = Future.succeededFuture(new ArrayList<>());
              for (Agreement a : owed.get().capped()) {
                full =
                    full.compose(
                        reached ->
                            conn.preparedQuery(PilotCount.COUNT_RELEASE)
                                .execute(
                                    Tuple.of(
                                        a.id(), recipient.value(), day, a.dailyVolume().getAsInt()))
                                .map(
                                    rows -> {
                                      if (rows.size() == 0) {
                                        reached.add(a);
                                      }
                                      return reached;
                                    }));
              }
              // A cap reached undoes the other counts: this release does not happen.
              return full.compose(
                  reached ->
                      reached.isEmpty()
                          ? Future.succeededFuture(reached)
                          : Future.failedFuture(new CapReached(reached)));
            })
        .recover(
            e ->
                e instanceof CapReached c
                    ? Future.succeededFuture(c.agreements)
                    : Future.failedFuture(e));
  }

  /** Rolls the counting transaction back, carrying the agreements whose cap was reached. */
  private static final class CapReached extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient List<Agreement> agreements;

    CapReached(List<Agreement> agreements) {
      super(null, null, false, false);
      this.agreements = List.copyOf(agreements);
    }
  }
}
