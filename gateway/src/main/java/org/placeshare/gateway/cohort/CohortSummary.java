package org.placeshare.gateway.cohort;

import ca.uhn.fhir.model.api.TemporalPrecisionEnum;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Resource;

/**
 * Population figures over a cohort: people by sex, by age band and by condition category, counted
 * from what the agreements released (after their obligations), then published with small-number
 * suppression. Counts from 1 to below the threshold are suppressed; where a table's cells add up to
 * its total, further cells are suppressed, smallest first, until no suppressed cell can be worked
 * out from the total and the others (at least two suppressed, together at least the threshold). A
 * total below the threshold suppresses its whole table.
 */
public final class CohortSummary {

  static final String SEX = "sex";
  static final String AGE_BAND = "ageBand";
  static final String CONDITION = "conditionCategory";
  static final String PEOPLE = "people";

  /** Where the tallies keep, per table and cell, the households its people come from. */
  static final String HOUSEHOLDS = "households";

  static final List<String> SEXES = List.of("female", "male", "other", "unknown");
  static final List<String> AGE_BANDS =
      List.of("0-17", "18-39", "40-64", "65-74", "75-84", "85+", "unknown");

  private static final String SNOMED = "http://snomed.info/sct";

  /**
   * Condition categories by SNOMED CT concept. A short list and no terminology server, so
   * descendants are not followed: any other code counts as {@code other}.
   */
  static final Map<String, String> CATEGORIES =
      Map.ofEntries(
          Map.entry("44054006", "diabetes"),
          Map.entry("46635009", "diabetes"),
          Map.entry("73211009", "diabetes"),
          Map.entry("38341003", "hypertension"),
          Map.entry("59621000", "hypertension"),
          Map.entry("195967001", "asthma"),
          Map.entry("13645005", "copd"),
          Map.entry("84114007", "heart-failure"),
          Map.entry("53741008", "coronary-heart-disease"),
          Map.entry("52448006", "dementia"),
          Map.entry("26929004", "dementia"),
          Map.entry("396275006", "osteoarthritis"),
          Map.entry("35489007", "depression"),
          Map.entry("709044004", "chronic-kidney-disease"));

  /** Every category, in order, with {@code other} last. */
  static final List<String> CONDITION_CATEGORIES =
      Stream.concat(CATEGORIES.values().stream().distinct().sorted(), Stream.of("other")).toList();

  private CohortSummary() {}

  /** Adds one released member, household unknown, to the running tallies. */
  static void tally(JsonObject tallies, List<Resource> released, LocalDate today) {
    tally(tallies, released, today, Optional.empty(), 0);
  }

  /**
   * Adds one released member to the running tallies (kept in the job's checkpoint), and their
   * household ({@code household}, a digest naming it within the job) to each of their cells: up to
   * {@code threshold} distinct households per cell are kept, all that suppression needs to know.
   */
  static void tally(
      JsonObject tallies,
      List<Resource> released,
      LocalDate today,
      Optional<String> household,
      int threshold) {
    Patient patient = null;
    Set<String> categories = new LinkedHashSet<>();
    for (Resource r : released) {
      if (r instanceof Patient p && patient == null) {
        patient = p;
      } else if (r instanceof Condition c) {
        categories.add(category(c));
      }
    }
    add(tallies, PEOPLE, "all", household, threshold);
    add(
        tallies,
        SEX,
        patient == null || !patient.hasGender() ? "unknown" : sex(patient),
        household,
        threshold);
    add(
        tallies,
        AGE_BAND,
        patient == null ? "unknown" : ageBand(patient, today),
        household,
        threshold);
    categories.forEach(c -> add(tallies, CONDITION, c, household, threshold));
  }

  private static void add(
      JsonObject tallies, String table, String cell, Optional<String> household, int threshold) {
    JsonObject t = object(tallies, table);
    t.put(cell, t.getInteger(cell, 0) + 1);
    if (household.isPresent()) {
      JsonObject byTable = object(object(tallies, HOUSEHOLDS), table);
      JsonArray seen = byTable.getJsonArray(cell);
      if (seen == null) {
        seen = new JsonArray();
        byTable.put(cell, seen);
      }
      if (seen.size() < threshold && !seen.contains(household.get())) {
        seen.add(household.get());
      }
    }
  }

  private static JsonObject object(JsonObject parent, String key) {
    JsonObject o = parent.getJsonObject(key);
    if (o == null) {
      o = new JsonObject();
      parent.put(key, o);
    }
    return o;
  }

  private static String sex(Patient p) {
    return switch (p.getGender()) {
      case FEMALE -> "female";
      case MALE -> "male";
      case OTHER -> "other";
      default -> "unknown";
    };
  }

  /** By birth year when the agreement generalised the date to a year; by full date otherwise. */
  static String ageBand(Patient p, LocalDate today) {
    if (!p.hasBirthDate()) {
      return "unknown";
    }
    LocalDate born = p.getBirthDate().toInstant().atZone(ZoneOffset.UTC).toLocalDate();
    int age = today.getYear() - born.getYear();
    if (p.getBirthDateElement().getPrecision() != TemporalPrecisionEnum.YEAR
        && today.getDayOfYear() < born.withYear(today.getYear()).getDayOfYear()) {
      age--;
    }
    if (age < 0) {
      return "unknown";
    }
    return age < 18
        ? "0-17"
        : age < 40 ? "18-39" : age < 65 ? "40-64" : age < 75 ? "65-74" : age < 85 ? "75-84" : "85+";
  }

  private static String category(Condition c) {
    for (Coding coding : c.getCode().getCoding()) {
      if (SNOMED.equals(coding.getSystem()) && CATEGORIES.containsKey(coding.getCode())) {
        return CATEGORIES.get(coding.getCode());
      }
    }
    return "other";
  }

  /** The published figures: each table with its suppressed cells shown as such. */
  public static JsonObject publish(JsonObject tallies, int threshold) {
    int people = count(tallies, PEOPLE, "all");
    boolean small =
        people > 0 && (people < threshold || fewHouseholds(tallies, PEOPLE, "all", threshold));
    JsonObject out = new JsonObject().put("suppressionThreshold", threshold);
    out.put(PEOPLE, small ? suppressedCell() : new JsonObject().put("count", people));
    out.put(SEX, table(tallies, SEX, SEXES, people, threshold, true, small));
    out.put(AGE_BAND, table(tallies, AGE_BAND, AGE_BANDS, people, threshold, true, small));
    // A person may have several conditions, so these cells do not add up to the total.
    out.put(
        CONDITION,
        table(tallies, CONDITION, CONDITION_CATEGORIES, people, threshold, false, small));
    return out;
  }

  /** One tallied table published: its cells in order, and those of few households suppressed. */
  private static JsonArray table(
      JsonObject tallies,
      String table,
      List<String> order,
      int people,
      int threshold,
      boolean addsUp,
      boolean all) {
    return table(
        cells(tallies, table, order),
        few(tallies, table, order, threshold),
        people,
        threshold,
        addsUp,
        all);
  }

  /** The table's cells with people from fewer households than the threshold. */
  private static Set<String> few(
      JsonObject tallies, String table, List<String> order, int threshold) {
    Set<String> few = new LinkedHashSet<>();
    order.stream()
        .filter(cell -> count(tallies, table, cell) > 0)
        .filter(cell -> fewHouseholds(tallies, table, cell, threshold))
        .forEach(few::add);
    return few;
  }

  /**
   * Whether the cell's people come from fewer households than the threshold: a care home's twelve
   * residents are one household, and a cell of them would tell about that one place. Figures
   * tallied without households (a job from before they were counted) are judged by people only.
   */
  private static boolean fewHouseholds(
      JsonObject tallies, String table, String cell, int threshold) {
    JsonObject households = tallies.getJsonObject(HOUSEHOLDS);
    if (households == null) {
      return false;
    }
    JsonObject t = households.getJsonObject(table);
    JsonArray seen = t == null ? null : t.getJsonArray(cell);
    return (seen == null ? 0 : seen.size()) < threshold;
  }

  private static Map<String, Integer> cells(JsonObject tallies, String table, List<String> order) {
    Map<String, Integer> cells = new LinkedHashMap<>();
    order.forEach(cell -> cells.put(cell, count(tallies, table, cell)));
    return cells;
  }

  private static int count(JsonObject tallies, String table, String cell) {
    JsonObject t = tallies.getJsonObject(table);
    return t == null ? 0 : t.getInteger(cell, 0);
  }

  /**
   * One table. Zeros are shown; counts from 1 to below the threshold are suppressed; in a table
   * whose cells add up to the published total, more cells are suppressed, smallest first, until at
   * least two are and together they reach the threshold, so that none can be recovered.
   */
  static JsonArray table(
      Map<String, Integer> cells, int total, int threshold, boolean addsUp, boolean all) {
    return table(cells, Set.of(), total, threshold, addsUp, all);
  }

  /** The same, {@code fewHouseholds} naming cells suppressed for their households. */
  static JsonArray table(
      Map<String, Integer> cells,
      Set<String> fewHouseholds,
      int total,
      int threshold,
      boolean addsUp,
      boolean all) {
    Set<String> suppressed = new LinkedHashSet<>();
    cells.forEach(
        (cell, n) -> {
          if (all || (n > 0 && n < threshold) || fewHouseholds.contains(cell)) {
            suppressed.add(cell);
          }
        });
    if (addsUp && !all && !suppressed.isEmpty()) {
      List<String> rest = new ArrayList<>(cells.keySet());
      rest.removeAll(suppressed);
      rest.removeIf(cell -> cells.get(cell) == 0);
      rest.sort(Comparator.comparingInt(cells::get));
      while (!rest.isEmpty()
          && (suppressed.size() < 2
              || suppressed.stream().mapToInt(cells::get).sum() < threshold)) {
        suppressed.add(rest.remove(0));
      }
    }
    JsonArray rows = new JsonArray();
    cells.forEach(
        (cell, n) ->
            rows.add(
                suppressed.contains(cell)
                    ? suppressedCell().put("code", cell)
                    : new JsonObject().put("code", cell).put("count", n)));
    return rows;
  }

  private static JsonObject suppressedCell() {
    return new JsonObject().putNull("count").put("suppressed", true);
  }
}
