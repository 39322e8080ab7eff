package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Group;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.Fhir;
import org.placeshare.fhir.Pseudonyms;
import org.placeshare.gateway.household.AddressKey;
import org.placeshare.gateway.household.Residence;
import org.placeshare.policy.NhsNumber;

/**
 * Cohort exports with households ({@code _includeHousehold=true}) over HTTP against real FHIR
 * sources and PostgreSQL, under a bulk agreement with a family clause: each other member of a
 * member's household released once, as family, on their own facts; one pseudonym per person however
 * they came in; a Group per household; nobody else under an agreement without the clause; a resumed
 * job keeps following households; and figures suppressed by household as well as person.
 */
class CohortHouseholdTest {

  static final String AGREEMENT = "population-health-households";
  static final String AGREEMENT_FILE = AGREEMENT + ".yaml";

  /** People 0, 1, 2 and 5 (opted out) live here; 9, a parent of 0, lives elsewhere. */
  static final AddressKey HOUSE = AddressKey.uprn("100070000011").orElseThrow();

  /** People 10 to 14, and 15 to 19, live in two houses: ten people, two households. */
  static final AddressKey EAST = AddressKey.uprn("100070000021").orElseThrow();

  static final AddressKey WEST = AddressKey.uprn("100070000022").orElseThrow();

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static Pseudonyms pseudonyms;
  static String token;

  @BeforeAll
  static void start() throws Exception {
    byte[] key = new byte[32];
    new java.security.SecureRandom().nextBytes(key);
    Files.createDirectories(dir);
    Path secret = dir.resolve("pseudonym.secret");
    Files.writeString(secret, com.nimbusds.jose.util.Base64URL.encode(key).toString());
    pseudonyms = new Pseudonyms(key);
    fixture =
        GatewayFixture.start(
            dir.resolve("gw"),
            TestPostgres.freshDatabase(),
            org.placeshare.policy.identity.SigningKey.generate(),
            c ->
                GatewayFixture.withCohorts(
                    c, CohortExportTest.cohorts(dir.resolve("exports")), Optional.of(secret)));
    fixture.addAgreement(AGREEMENT_FILE);
    token = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "PUBHLTH");
    Households.optOut(fixture, person(5));
    List<Residence> residences = new ArrayList<>();
    for (int i : new int[] {0, 1, 2, 5}) {
      residences.add(Households.lives(person(i), HOUSE, "2020-01-01", null));
    }
    residences.add(
        Households.lives(
            person(9), AddressKey.uprn("100070000012").orElseThrow(), "2020-01-01", null));
    for (int i = 10; i < 20; i++) {
      residences.add(Households.lives(person(i), i < 15 ? EAST : WEST, "2020-01-01", null));
    }
    Households.record(fixture, residences);
    // A tie counts when two sources state it.
    Households.recordParent(fixture, person(9), person(0));
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  static NhsNumber person(int i) {
    return fixture.people.get(i).nhsNumber();
  }

  static String pseudonym(int i) {
    return pseudonyms.of(AGREEMENT, Fhir.NHS_NUMBER_SYSTEM, person(i).toString());
  }

  static List<String> cohort(int... people) {
    List<String> numbers = new ArrayList<>();
    for (int i : people) {
      numbers.add(person(i).toString());
    }
    return numbers;
  }

  /** An export of these people, finished: its manifest. */
  static JsonObject export(String query, int... people) throws Exception {
    String group = CohortExportTest.registered(fixture, token, cohort(people));
    HttpResponse<String> started =
        fixture.get("/fhir/Group/" + group + "/$export" + query, token, "Prefer", "respond-async");
    assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
    HttpResponse<String> done =
        CohortExportTest.await(
            fixture, token, started.headers().firstValue("Content-Location").orElseThrow());
    assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
    return new JsonObject(done.body());
  }

  static String file(JsonObject manifest, String type) throws Exception {
    for (Object o : manifest.getJsonArray("output")) {
      JsonObject entry = (JsonObject) o;
      if (entry.getString("type").equals(type)) {
        HttpResponse<String> r = fixture.get(CohortExportTest.path(entry.getString("url")), token);
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
      }
    }
    return "";
  }

  /** Each released Patient's id by its identifier's pseudonym. */
  static Map<String, String> patientIds(JsonObject manifest) throws Exception {
    return file(manifest, "Patient")
        .lines()
        .map(l -> Fhir.json().parseResource(Patient.class, l))
        .collect(
            Collectors.toMap(
                p -> p.getIdentifierFirstRep().getValue(), p -> p.getIdElement().getIdPart()));
  }

  static JsonObject householdCounts(JsonObject manifest) {
    return manifest
        .getJsonObject("extension")
        .getJsonObject(
            "https://placeshare.example/fhir/StructureDefinition/cohort-household-counts");
  }

  static List<Group> groups(JsonObject manifest) throws Exception {
    return file(manifest, "Group")
        .lines()
        .map(l -> Fhir.json().parseResource(Group.class, l))
        .toList();
  }

  static List<String> members(Group g) {
    return g.getMember().stream().map(m -> m.getEntity().getReference()).sorted().toList();
  }

  @Test
  void export_withIncludeHousehold_releasesEachOtherMemberOnceAsFamily_andLeavesOutTheOptedOut()
      throws Exception {
    // 1 is in the cohort and in 0's household; 3 has no known address.
    JsonObject manifest = export("?_includeHousehold=true", 0, 1, 3);

    Map<String, String> ids = patientIds(manifest);
    // The cohort's three, and 0's household as family: 2 living there, 9 their parent elsewhere.
    assertThat(ids.keySet())
        .containsExactlyInAnyOrder(
            pseudonym(0), pseudonym(1), pseudonym(3), pseudonym(2), pseudonym(9));
    assertThat(file(manifest, "Patient").lines()).hasSize(5);
    JsonObject members =
        manifest
            .getJsonObject("extension")
            .getJsonObject("https://placeshare.example/fhir/StructureDefinition/cohort-counts");
    assertThat(members.getInteger("members")).isEqualTo(3);
    assertThat(members.getInteger("included")).isEqualTo(3);
    JsonObject household = householdCounts(manifest);
    assertThat(household.getInteger("included")).isEqualTo(2);
    // 5 opted out: counted, never named.
    assertThat(household.getInteger("leftOut") + household.getInteger("failed")).isEqualTo(1);
    assertThat(household.getInteger("overCap")).isZero();
    String everything =
        String.join(
            "\n", file(manifest, "Patient"), file(manifest, "Condition"), file(manifest, "Group"));
    assertThat(everything).doesNotContain(pseudonym(5)).doesNotContain(person(5).toString());

    // The family clause's types only for the family: their Conditions, none of their Encounters.
    String twoAndNine = "Patient/" + ids.get(pseudonym(2));
    String nine = "Patient/" + ids.get(pseudonym(9));
    assertThat(
            file(manifest, "Encounter")
                .lines()
                .map(
                    l -> Fhir.json().parseResource(Encounter.class, l).getSubject().getReference()))
        .doesNotContain(twoAndNine, nine);
    assertThat(
            file(manifest, "Condition")
                .lines()
                .map(
                    l -> Fhir.json().parseResource(Condition.class, l).getSubject().getReference()))
        .contains(twoAndNine)
        .allSatisfy(s -> assertThat(ids.values()).contains(s.substring("Patient/".length())));

    // A Group per household: 0's (0, 1, 2 and their parent 9) and 3's alone; no address.
    List<Group> groups = groups(manifest);
    assertThat(groups).hasSize(2);
    assertThat(groups.stream().map(CohortHouseholdTest::members).toList())
        .containsExactlyInAnyOrder(
            List.of(0, 1, 2, 9).stream()
                .map(i -> "Patient/" + ids.get(pseudonym(i)))
                .sorted()
                .toList(),
            List.of("Patient/" + ids.get(pseudonym(3))));
    assertThat(groups)
        .allSatisfy(
            g -> {
              assertThat(g.getType()).isEqualTo(Group.GroupType.PERSON);
              assertThat(g.getQuantity()).isEqualTo(g.getMember().size());
            });
    assertThat(file(manifest, "Group")).doesNotContain("address").doesNotContain("10007000");

    // Each person released once, audited once: the five, 2 and 9 as household family.
    String job = jobOf(manifest);
    List<String> audited = new ArrayList<>();
    for (Row r :
        fixture
            .gateway
            .database()
            .pool()
            .preparedQuery(
                "SELECT nhs_number, detail::text AS d FROM audit_event WHERE request_id = $1 AND"
                    + " nhs_number IS NOT NULL")
            .execute(Tuple.of(job))
            .await()) {
      audited.add(
          r.getString("nhs_number")
              + (r.getString("d").contains("as part of a household") ? " h" : ""));
    }
    assertThat(audited)
        .containsExactlyInAnyOrder(
            person(0).toString(),
            person(1).toString(),
            person(3).toString(),
            person(2) + " h",
            person(9) + " h");
  }

  @Test
  void export_givesAPersonTheSamePseudonym_asAMemberAndAsAnotherMembersHousehold()
      throws Exception {
    JsonObject asHousehold = export("?_includeHousehold=true", 0);
    JsonObject asMember = export("", 2);

    String id = patientIds(asMember).get(pseudonym(2));
    assertThat(id).isNotNull();
    assertThat(patientIds(asHousehold)).containsEntry(pseudonym(2), id);
    // And the household's Group and the Conditions point at that same Patient.
    assertThat(groups(asHousehold).stream().flatMap(g -> members(g).stream()))
        .contains("Patient/" + id);
    assertThat(file(asHousehold, "Condition")).contains("\"Patient/" + id + "\"");
  }

  @Test
  void export_underAnAgreementWithoutAFamilyClause_releasesNoOtherMember() throws Exception {
    Path file = fixture.agreements.resolve(AGREEMENT_FILE);
    String withClause = Files.readString(file);
    String withoutClause =
        withClause.replaceAll("(?s)\nfamily:\n.*?\n\n", "\n\n").replace("version: 1", "version: 2");
    assertThat(withoutClause).doesNotContain("family:");
    Files.writeString(file, withoutClause);
    fixture.gateway.policy().reload(fixture.vertx).await();
    try {
      JsonObject manifest = export("?_includeHousehold=true", 0);

      assertThat(patientIds(manifest).keySet()).containsExactly(pseudonym(0));
      JsonObject household = householdCounts(manifest);
      assertThat(household.getInteger("included")).isZero();
      // 1, 2 and 9 refused as family, 5 opted out: four left out, none named.
      assertThat(household.getInteger("leftOut") + household.getInteger("failed")).isEqualTo(4);
      assertThat(groups(manifest)).hasSize(1);
      assertThat(members(groups(manifest).get(0)))
          .containsExactly("Patient/" + patientIds(manifest).get(pseudonym(0)));
    } finally {
      Files.writeString(file, withClause);
      fixture.gateway.policy().reload(fixture.vertx).await();
    }
  }

  /**
   * Two bulk agreements: the population-health agreement (no family clause) permits 0; the one with
   * the family clause runs as a pilot for 0's family (1, 2 and 9) but not for 0. A member's
   * household is released only under an agreement that also permits the member: none of it here.
   */
  @Test
  void
      export_withIncludeHousehold_underAClauseWhoseAgreementRefusesTheMember_releasesNoOtherMember()
          throws Exception {
    Path clauseFile = fixture.agreements.resolve(AGREEMENT_FILE);
    String withClause = Files.readString(clauseFile);
    String pilotForTheFamily =
        withClause
            .replace("status: active", "status: pilot")
            .replace("version: 1", "version: 2")
            .replace(
                "\ncohortExport:",
                "\npilot:\n  cohort: [\""
                    + person(1)
                    + "\", \""
                    + person(2)
                    + "\", \""
                    + person(9)
                    + "\"]\n\ncohortExport:");
    assertThat(pilotForTheFamily).contains("status: pilot").contains("pilot:\n  cohort:");
    Path plainFile = fixture.agreements.resolve("gm-connect-population-health.yaml");
    try (java.io.InputStream in =
        GatewayFixture.class.getResourceAsStream("/agreements/gm-connect-population-health.yaml")) {
      Files.copy(in, plainFile);
    }
    Files.writeString(clauseFile, pilotForTheFamily);
    fixture.gateway.policy().reload(fixture.vertx).await();
    try {
      JsonObject manifest = export("?_includeHousehold=true", 0);

      // 0 alone, under the agreement without the clause; 1, 2 and 9 refused as family (the pilot
      // refuses 0), 5 opted out: four left out, none named.
      assertThat(file(manifest, "Patient").lines()).hasSize(1);
      JsonObject household = householdCounts(manifest);
      assertThat(household.getInteger("included")).isZero();
      assertThat(household.getInteger("leftOut") + household.getInteger("failed")).isEqualTo(4);
      assertThat(groups(manifest)).hasSize(1);
      assertThat(members(groups(manifest).get(0))).hasSize(1);

      // And where the pilot permits the member too (1 is in it), their family in the pilot is
      // released under it: 2 (0 is outside the pilot, 5 opted out).
      JsonObject permitted = export("?_includeHousehold=true", 1);
      assertThat(householdCounts(permitted).getInteger("included")).isEqualTo(1);
      assertThat(patientIds(permitted).keySet()).contains(pseudonym(2));
    } finally {
      Files.delete(plainFile);
      Files.writeString(clauseFile, withClause);
      fixture.gateway.policy().reload(fixture.vertx).await();
    }
  }

  @Test
  void kickOff_includeHousehold_isTrueOrFalseOnce_andOnExportOnly() throws Exception {
    String group = CohortExportTest.registered(fixture, token, cohort(0));
    for (String query :
        List.of(
            "$export?_includeHousehold=yes",
            "$export?_includeHousehold=true&_includeHousehold=true",
            "$export?_includeHousehold=",
            "$summary?_includeHousehold=true")) {
      HttpResponse<String> r =
          fixture.get("/fhir/Group/" + group + "/" + query, token, "Prefer", "respond-async");
      assertThat(r.statusCode()).as(query).isEqualTo(400);
      assertThat(r.body()).as(query).contains("_includeHousehold");
    }
  }

  /**
   * A job a stopped instance left after checkpointing its first member (3), and which had begun the
   * next chunk (it had decided 2, as 0's household, before it died): the next claim resumes it
   * following households still, and decides 2 again, since that chunk was never checkpointed.
   */
  @Test
  void aResumedJob_keepsIncludeHousehold_andRedoesWhatItsUncheckpointedChunkDecided()
      throws Exception {
    String group = CohortExportTest.registered(fixture, token, cohort(3, 0));
    UUID job = UUID.randomUUID();
    var pool = fixture.gateway.database().pool();
    pool.preparedQuery(
            "INSERT INTO export_job (id, kind, cohort_id, organisation, client_id, user_id, role,"
                + " purpose, request, status, position, created_at, include_household) VALUES"
                + " ($1, 'export', $2, 'E08000026', $3, $4, 'analyst', 'PUBHLTH', 'resumed',"
                + " 'running', 1, $5, true)")
        .execute(
            Tuple.of(
                job,
                UUID.fromString(group),
                GatewayFixture.COUNCIL_CLIENT,
                // Started by the user of the token that polls it: a job answers its owner only.
                "user-1",
                GatewayFixture.CLOCK.instant().atOffset(ZoneOffset.UTC)))
        .await();
    pool.preparedQuery(
            "INSERT INTO export_person (job_id, nhs_number, chunk, patient_id) VALUES ($1, $2, 1,"
                + " 'lost-with-its-chunk')")
        .execute(Tuple.of(job, person(2).toString()))
        .await();

    HttpResponse<String> done =
        CohortExportTest.await(
            fixture, token, GatewayFixture.PUBLIC_URL + "/fhir/bulk-status/" + job);

    assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
    JsonObject manifest = new JsonObject(done.body());
    assertThat(householdCounts(manifest)).as("still following households").isNotNull();
    // 3 was done before the stop; 0 and their household after it, 2 among them.
    assertThat(patientIds(manifest).keySet())
        .containsExactlyInAnyOrder(pseudonym(0), pseudonym(1), pseudonym(2), pseudonym(9));
    assertThat(file(manifest, "Group")).doesNotContain("lost-with-its-chunk");
  }

  @Test
  void summary_suppressesCellsOfFewHouseholds_evenWithEnoughPeople() throws Exception {
    // Ten people, enough to show at a threshold of 10, but from two households.
    String group =
        CohortExportTest.registered(fixture, token, cohort(10, 11, 12, 13, 14, 15, 16, 17, 18, 19));

    HttpResponse<String> done =
        CohortExportTest.await(
            fixture, token, CohortExportTest.kickOff(fixture, token, group, "$summary"));

    assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
    JsonObject summary = new JsonObject(done.body());
    assertThat(summary.getJsonObject("people").getBoolean("suppressed")).isTrue();
    assertThat(summary.getJsonObject("people").getValue("count")).isNull();
    for (String table : List.of("sex", "ageBand", "conditionCategory")) {
      JsonArray rows = summary.getJsonArray(table);
      assertThat(rows.stream().map(JsonObject.class::cast))
          .as(table)
          .allSatisfy(r -> assertThat(r.getBoolean("suppressed")).isTrue());
    }
  }

  private static String jobOf(JsonObject manifest) {
    String url = manifest.getJsonArray("output").getJsonObject(0).getString("url");
    String path = CohortExportTest.path(url);
    return path.split("/")[3];
  }
}
