package org.placeshare.gateway.cohort;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.DateType;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.Test;

class CohortSummaryTest {

  private static Map<String, Integer> cells(Object... pairs) {
    Map<String, Integer> cells = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      cells.put((String) pairs[i], (Integer) pairs[i + 1]);
    }
    return cells;
  }

  private static List<Object> shown(JsonArray rows) {
    return rows.stream().map(r -> ((JsonObject) r).getValue("count")).toList();
  }

  @Test
  void table_smallCellsAreSuppressed_zerosAndLargeOnesShown() {
    JsonArray rows =
        CohortSummary.table(cells("a", 40, "b", 0, "c", 3, "d", 12), 55, 10, false, false);

    assertThat(shown(rows)).containsExactly(40, 0, null, 12);
  }

  @Test
  void table_oneSmallCellInATableThatAddsUp_takesTheNextSmallestWithIt() {
    // Alone, c = 55 - 40 - 12 could be worked out; with d hidden too, only c + d is known.
    JsonArray rows =
        CohortSummary.table(cells("a", 40, "b", 0, "c", 3, "d", 12), 55, 10, true, false);

    assertThat(shown(rows)).containsExactly(40, 0, null, null);
  }

  @Test
  void table_twoSmallCellsUnderTheThresholdTogether_takeAThirdWithThem() {
    // 2 + 3 = 5 is still a small number: the hidden cells are widened until they reach 10.
    JsonArray rows =
        CohortSummary.table(cells("a", 40, "b", 2, "c", 3, "d", 12, "e", 30), 87, 10, true, false);

    assertThat(shown(rows)).containsExactly(40, null, null, null, 30);
  }

  @Test
  void publish_aTotalUnderTheThreshold_suppressesEverything() {
    JsonObject tallies = new JsonObject();
    for (int i = 0; i < 9; i++) {
      CohortSummary.tally(
          tallies, List.of(patient("female", "1950-05-05")), LocalDate.of(2026, 11, 22));
    }

    JsonObject published = CohortSummary.publish(tallies, 10);

    assertThat(published.getJsonObject("people").getBoolean("suppressed")).isTrue();
    assertThat(shown(published.getJsonArray("sex"))).containsOnlyNulls();
  }

  @Test
  void publish_aCellOfEnoughPeopleFromFewHouseholds_isSuppressed_andTakesAnotherWithIt() {
    JsonObject tallies = new JsonObject();
    LocalDate today = LocalDate.of(2026, 11, 22);
    // Twenty women, each in her own household; twelve men from one care home.
    for (int i = 0; i < 20; i++) {
      CohortSummary.tally(
          tallies, List.of(patient("female", "1950-05-05")), today, Optional.of("home-" + i), 10);
    }
    for (int i = 0; i < 12; i++) {
      CohortSummary.tally(
          tallies, List.of(patient("male", "1930-05-05")), today, Optional.of("care-home"), 10);
    }

    JsonObject published = CohortSummary.publish(tallies, 10);

    assertThat(published.getJsonObject("people").getInteger("count")).isEqualTo(32);
    // female, male, other, unknown: the men hidden for their one household, the women with them
    // (else 32 - 20 gives the men away); zeros shown.
    assertThat(shown(published.getJsonArray("sex"))).containsExactly(null, null, 0, 0);
    // 75-84 (the women) has 20 households; 85+ (the men) one.
    assertThat(shown(published.getJsonArray("ageBand")).get(5)).isNull();
  }

  @Test
  void tally_keepsAtMostTheThresholdOfHouseholdsPerCell() {
    JsonObject tallies = new JsonObject();
    for (int i = 0; i < 30; i++) {
      CohortSummary.tally(
          tallies,
          List.of(patient("female", "1950-05-05")),
          LocalDate.of(2026, 11, 22),
          Optional.of("home-" + i),
          10);
    }

    assertThat(tallies.getJsonObject("households").getJsonObject("sex").getJsonArray("female"))
        .hasSize(10);
    assertThat(shown(CohortSummary.publish(tallies, 10).getJsonArray("sex")))
        .containsExactly(30, 0, 0, 0);
  }

  @Test
  void tally_countsSexAgeBandAndConditionCategoryOncePerPerson() {
    JsonObject tallies = new JsonObject();
    Condition diabetes =
        new Condition()
            .setCode(new CodeableConcept(new Coding("http://snomed.info/sct", "44054006", "T2DM")));
    Condition again =
        new Condition()
            .setCode(new CodeableConcept(new Coding("http://snomed.info/sct", "44054006", "T2DM")));
    Condition unlisted =
        new Condition()
            .setCode(new CodeableConcept(new Coding("http://snomed.info/sct", "1", "x")));

    CohortSummary.tally(
        tallies,
        List.of(patient("male", "1950"), diabetes, again, unlisted),
        LocalDate.of(2026, 11, 22));

    assertThat(tallies.getJsonObject("sex").getInteger("male")).isEqualTo(1);
    assertThat(tallies.getJsonObject("ageBand").getInteger("75-84")).isEqualTo(1);
    assertThat(tallies.getJsonObject("conditionCategory").getInteger("diabetes")).isEqualTo(1);
    assertThat(tallies.getJsonObject("conditionCategory").getInteger("other")).isEqualTo(1);
  }

  @Test
  void ageBand_usesTheFullDateWhereThereIsOne() {
    LocalDate today = LocalDate.of(2026, 11, 22);

    assertThat(CohortSummary.ageBand(patient("female", "1961-11-23"), today)).isEqualTo("40-64");
    assertThat(CohortSummary.ageBand(patient("female", "1961-11-22"), today)).isEqualTo("65-74");
    assertThat(CohortSummary.ageBand(patient("female", "1961"), today)).isEqualTo("65-74");
  }

  private static Patient patient(String gender, String born) {
    Patient p = new Patient();
    p.setGender(Enumerations.AdministrativeGender.fromCode(gender));
    p.setBirthDateElement(new DateType(born));
    return p;
  }
}
