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
import java.util.Comparator;
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

  private static final String RESIDE =
      "INSERT INTO household_residence (nhs_number, address_key, source, from_date, to_date,"
          + " recorded_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (nhs_number, address_key,"
          + " source, from_date) DO UPDATE SET to_date = $5, recorded_at = $6 WHERE"
          + " household_residence.to_date IS DISTINCT FROM $5";

  private static final String TIE =
      "INSERT INTO family_tie (a, b, kind, source, recorded_at) VALUES ($1, $2, $3, $4, $5) ON"
          + " CONFLICT DO NOTHING";

  private static final String ON_DAY = "from_date <= $2 AND (to_date IS NULL OR to_date >= $2)";

  private static final String ADDRESSES =
      "SELECT address_key, count(DISTINCT source) AS sources FROM household_residence WHERE"
          + " nhs_number = $1 AND "
          + ON_DAY
          + " GROUP BY address_key";

  private static final String RESIDENTS =
      "SELECT DISTINCT nhs_number FROM household_residence WHERE address_key = $1 AND "
          + ON_DAY
          + " AND nhs_number <> $3 ORDER BY nhs_number LIMIT $4";

  private static final String PARENTS_AND_CHILDREN =
      "SELECT DISTINCT CASE WHEN a = $1 THEN b ELSE a END AS other FROM family_tie WHERE kind ="
          + " 'parent' AND (a = $1 OR b = $1) ORDER BY other LIMIT $2";

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
   * The person's household on a day: the address most sources give for them that day (a UPRN key
   * before an address one, on a tie), everyone else living there, and their stated parents and
   * children. At most {@code limit} of each are read, so that a caller can tell a household over
   * its cap without loading a hostel.
   */
  public Future<Household> householdOf(NhsNumber person, LocalDate day, int limit) {
    return pool.preparedQuery(ADDRESSES)
        .execute(Tuple.of(person.toString(), day))
        .compose(
            addresses -> {
              List<Row> rows = new ArrayList<>();
              addresses.forEach(rows::add);
              rows.sort(
                  Comparator.comparingLong((Row r) -> -r.getLong("sources"))
                      .thenComparing(r -> r.getString("address_key").startsWith("uprn:") ? 0 : 1)
                      .thenComparing(r -> r.getString("address_key")));
              Optional<AddressKey> address =
                  rows.stream().findFirst().map(r -> new AddressKey(r.getString("address_key")));
              Set<AddressKey> conflicting = new LinkedHashSet<>();
              rows.stream()
                  .skip(1)
                  .forEach(r -> conflicting.add(new AddressKey(r.getString("address_key"))));
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
                      .execute(Tuple.of(person.toString(), limit))
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
