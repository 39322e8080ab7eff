package org.placeshare.gateway.household;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.placeshare.policy.FamilyRelationship;
import org.placeshare.policy.NhsNumber;

/**
 * The household register in PostgreSQL: where sources say people live, from when to when, and the
 * family ties they state. A household is worked out when asked (the people living at one address on
 * a day), so a move is one row. Shared by every instance.
 */
public final class HouseholdRegister {

  /**
   * A residence recorded, or its end updated; one still open from an earlier day at the same
   * address by the same source is the same residence (its first day kept). Each change is logged by
   * the same statement; a residence seen again unchanged writes nothing.
   */
  private static final String RESIDE =
      "WITH changed AS (INSERT INTO household_residence (nhs_number, address_key, source,"
          + " from_date, to_date, recorded_at) SELECT $1::text, $2::text, $3::text, $4::date,"
          + " $5::date, $6::timestamptz WHERE $5::date IS NOT NULL OR NOT EXISTS (SELECT 1 FROM"
          + " household_residence WHERE nhs_number = $1 AND address_key = $2 AND source = $3 AND"
          + " to_date IS NULL AND from_date <= $4) ON CONFLICT (nhs_number, address_key, source,"
          + " from_date) DO UPDATE SET to_date = EXCLUDED.to_date, recorded_at ="
          + " EXCLUDED.recorded_at WHERE household_residence.to_date IS DISTINCT FROM"
          + " EXCLUDED.to_date RETURNING nhs_number, address_key, source, from_date, to_date,"
          + " recorded_at) INSERT INTO household_change (changed_at, change, nhs_number, source,"
          + " address_key, from_date, to_date) SELECT recorded_at, 'residence', nhs_number, source,"
          + " address_key, from_date, to_date FROM changed";

  /**
   * The source's open residences of the person at addresses it no longer gives end the day before
   * it was seen without them (or on their first day, if that was the day). Logged like any change.
   */
  private static final String END_OTHERS =
      "WITH ended AS (UPDATE household_residence SET to_date = GREATEST(from_date, $4::date),"
          + " recorded_at = $5 WHERE nhs_number = $1 AND source = $2 AND to_date IS NULL AND NOT"
          + " (address_key = ANY($3::text[])) RETURNING nhs_number, address_key, source,"
          + " from_date, to_date, recorded_at) INSERT INTO household_change (changed_at, change,"
          + " nhs_number, source, address_key, from_date, to_date) SELECT recorded_at,"
          + " 'residence-ended', nhs_number, source, address_key, from_date, to_date FROM ended";

  private static final String TIE =
      "WITH added AS (INSERT INTO family_tie (a, b, kind, source, recorded_at) VALUES ($1, $2,"
          + " $3, $4, $5) ON CONFLICT DO NOTHING RETURNING a, b, kind, source, recorded_at) INSERT"
          + " INTO household_change (changed_at, change, nhs_number, source, other, kind) SELECT"
          + " recorded_at, 'tie', a, source, b, kind FROM added";

  /**
   * The source's ties of the person it no longer states are retracted (the row goes, the change log
   * keeps it). {@code $3} holds the ties it still states, as {@code a>b>kind}.
   */
  private static final String RETRACT =
      "WITH gone AS (DELETE FROM family_tie WHERE source = $2 AND (a = $1 OR b = $1) AND NOT"
          + " ((a || '>' || b || '>' || kind) = ANY($3::text[])) RETURNING a, b, kind, source)"
          + " INSERT INTO household_change (changed_at, change, nhs_number, source, other, kind)"
          + " SELECT $4::timestamptz, 'tie-retracted', a, source, b, kind FROM gone";

  /**
   * How many different sources must state a parent-child tie before it makes anyone family: one
   * source's word alone (a hostile or mistaken one) never pulls a person into another's household.
   */
  public static final int MIN_TIE_SOURCES = 2;

  /** Most of a person's conflicting addresses on one day that a household reports. */
  public static final int MAX_CONFLICTING = 10;

  private static final String ON_DAY = "from_date <= $2 AND (to_date IS NULL OR to_date >= $2)";

  private static final String ADDRESSES =
      "SELECT DISTINCT address_key FROM household_residence WHERE nhs_number = $1 AND "
          + ON_DAY
          + " ORDER BY address_key LIMIT "
          + MAX_CONFLICTING;

  /**
   * Everyone else living at the address that day whose sources all place them there that day: a
   * person another source places elsewhere the same day (whose sources disagree) lives in no
   * household, so one source's word (a hostile source giving a stranger this address) never makes
   * them a resident.
   */
  private static final String RESIDENTS =
      "SELECT nhs_number FROM household_residence WHERE "
          + ON_DAY
          + " AND nhs_number IN (SELECT nhs_number FROM household_residence WHERE address_key = $1"
          + " AND "
          + ON_DAY
          + " AND nhs_number <> $3) GROUP BY nhs_number HAVING bool_and(address_key = $1) ORDER BY"
          + " nhs_number LIMIT $4";

  private static final String PARENTS_AND_CHILDREN =
      "SELECT DISTINCT CASE WHEN a = $1 THEN b ELSE a END AS other FROM (SELECT a, b FROM"
          + " family_tie WHERE kind = 'parent' AND (a = $1 OR b = $1) GROUP BY a, b HAVING"
          + " count(DISTINCT source) >= $3) corroborated ORDER BY other LIMIT $2";

  private final Pool pool;

  public HouseholdRegister(Pool pool) {
    this.pool = pool;
  }

  /** Records where sources say people live; a residence seen again with a new end is updated. */
  public Future<Void> record(List<Residence> residences, Instant now) {
    if (residences.isEmpty()) {
      return Future.succeededFuture();
    }
    List<Tuple> rows = new ArrayList<>();
    for (Residence r : residences) {
      rows.add(
          Tuple.of(
              r.person().toString(),
              r.address().value(),
              r.source(),
              r.from(),
              r.to().orElse(null),
              now.atOffset(ZoneOffset.UTC)));
    }
    return pool.preparedQuery(RESIDE).executeBatch(rows).mapEmpty();
  }

  /**
   * Replaces what one source said of one person's addresses with what it says now: its residences
   * recorded, and its open residences at any other address ended the day before {@code seen}. A
   * source's word changes only its own rows; another source's address for the person stays, as a
   * conflict if it differs.
   */
  public Future<Void> restate(
      NhsNumber person, String source, List<Residence> residences, LocalDate seen, Instant now) {
    for (Residence r : residences) {
      if (!r.person().equals(person) || !r.source().equals(source)) {
        throw new IllegalArgumentException("expected residences of one person by one source");
      }
    }
    String[] current =
        residences.stream()
            .filter(r -> r.on(seen))
            .map(r -> r.address().value())
            .distinct()
            .toArray(String[]::new);
    return record(residences, now)
        .compose(
            v ->
                pool.preparedQuery(END_OTHERS)
                    .execute(
                        Tuple.of(
                            person.toString(),
                            source,
                            current,
                            seen.minusDays(1),
                            now.atOffset(ZoneOffset.UTC))))
        .mapEmpty();
  }

  /** Records family ties sources state; one seen again is left as it is. */
  public Future<Void> recordTies(List<FamilyTie> ties, Instant now) {
    if (ties.isEmpty()) {
      return Future.succeededFuture();
    }
    List<Tuple> rows = new ArrayList<>();
    for (FamilyTie t : ties) {
      rows.add(
          Tuple.of(
              t.a().toString(),
              t.b().toString(),
              t.kind().name().toLowerCase(Locale.ROOT),
              t.source(),
              now.atOffset(ZoneOffset.UTC)));
    }
    return pool.preparedQuery(TIE).executeBatch(rows).mapEmpty();
  }

  /**
   * Replaces what one source said of one person's family ties with what it says now: the ties it
   * states recorded, and those of the person it no longer states retracted (logged).
   */
  public Future<Void> restateTies(
      NhsNumber person, String source, List<FamilyTie> ties, Instant now) {
    for (FamilyTie t : ties) {
      if (!t.source().equals(source) || !(t.a().equals(person) || t.b().equals(person))) {
        throw new IllegalArgumentException("expected ties of one person by one source");
      }
    }
    String[] stated =
        ties.stream()
            .map(t -> t.a() + ">" + t.b() + ">" + t.kind().name().toLowerCase(Locale.ROOT))
            .distinct()
            .toArray(String[]::new);
    return recordTies(ties, now)
        .compose(
            v ->
                pool.preparedQuery(RETRACT)
                    .execute(
                        Tuple.of(person.toString(), source, stated, now.atOffset(ZoneOffset.UTC))))
        .mapEmpty();
  }

  /**
   * The person's household on a day: the address their sources give for them that day, everyone
   * else whose sources place them there that day, and their parents and children stated by at least
   * {@link #MIN_TIE_SOURCES} different sources (wherever they live). When sources give the person
   * more than one address that day (by a UPRN and by a written address too: the two are never taken
   * to be one place), none is chosen: no address, no one living with them, and the addresses as
   * {@code conflicting} (at most {@link #MAX_CONFLICTING}); one source's word, which may be a
   * hostile source's, never puts the person in another family's home. At most {@code limit}
   * residents and {@code limit} parents and children are read, so that a caller can tell a
   * household over its cap without loading a hostel.
   */
  public Future<Household> householdOf(NhsNumber person, LocalDate day, int limit) {
    return pool.preparedQuery(ADDRESSES)
        .execute(Tuple.of(person.toString(), day))
        .compose(
            addresses -> {
              List<AddressKey> keys = new ArrayList<>();
              addresses.forEach(r -> keys.add(new AddressKey(r.getString("address_key"))));
              Optional<AddressKey> address =
                  keys.size() == 1 ? Optional.of(keys.get(0)) : Optional.empty();
              Set<AddressKey> conflicting = keys.size() > 1 ? new LinkedHashSet<>(keys) : Set.of();
              Future<List<String>> residents =
                  address
                      .map(
                          a ->
                              pool.preparedQuery(RESIDENTS)
                                  .execute(Tuple.of(a.value(), day, person.toString(), limit))
                                  .map(HouseholdRegister::column))
                      .orElse(Future.succeededFuture(List.of()));
              Future<List<String>> family =
                  pool.preparedQuery(PARENTS_AND_CHILDREN)
                      .execute(Tuple.of(person.toString(), limit, MIN_TIE_SOURCES))
                      .map(HouseholdRegister::column);
              return Future.all(residents, family)
                  .map(
                      all -> {
                        Map<String, Set<FamilyRelationship>> members = new LinkedHashMap<>();
                        for (String n : residents.result()) {
                          members
                              .computeIfAbsent(n, k -> EnumSet.noneOf(FamilyRelationship.class))
                              .add(FamilyRelationship.HOUSEHOLD);
                        }
                        for (String n : family.result()) {
                          members
                              .computeIfAbsent(n, k -> EnumSet.noneOf(FamilyRelationship.class))
                              .add(FamilyRelationship.PARENT_CHILD);
                        }
                        List<Household.Member> list = new ArrayList<>();
                        members.forEach(
                            (n, r) -> list.add(new Household.Member(NhsNumber.parse(n), r)));
                        return new Household(person, day, address, list, conflicting);
                      });
            });
  }

  private static List<String> column(RowSet<Row> rows) {
    List<String> values = new ArrayList<>();
    rows.forEach(r -> values.add(r.getString(0)));
    return values;
  }
}
