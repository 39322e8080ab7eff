package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.Fhir;
import org.placeshare.fhir.Pseudonyms;
import org.placeshare.fhir.synthetic.SyntheticPerson;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.gateway.register.PatientRegister;

/**
 * Cohorts and bulk export over HTTP against real FHIR sources and PostgreSQL: registering a Group,
 * every bad member reported, an export that leaves out opted-out and restricted people and
 * pseudonymises as its agreement says, the manifest and files, cancelling, refusals, and the
 * population figures with small cells suppressed.
 */
class CohortExportTest {

  static final String POPULATION = "gm-connect-population-health";
  static final int MAX_MEMBERS = 30;

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static Pseudonyms pseudonyms;
  static SyntheticPerson optedOut;
  static SyntheticPerson restricted;

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
                    c, cohorts(dir.resolve("exports")), Optional.of(secret)));
    fixture.addAgreement("gm-connect-population-health.yaml");
    optedOut = fixture.people.get(3);
    restricted = fixture.people.get(4);
    fixture
        .register()
        .upsert(
            List.of(
                new PatientRegister.Entry(optedOut.nhsNumber(), true, false, Optional.empty()),
                new PatientRegister.Entry(restricted.nhsNumber(), false, true, Optional.empty())),
            GatewayFixture.CLOCK.instant())
        .await();
  }

  static GatewayConfig.Cohorts cohorts(Path directory) {
    return new GatewayConfig.Cohorts(
        MAX_MEMBERS,
        4,
        java.time.Duration.ofSeconds(30),
        java.time.Duration.ofHours(1),
        10,
        2,
        directory);
  }

  /**
   * Cancels what a case left queued or running (one that failed before its job finished), so that
   * each later case's jobs run at once and are within the client's cap: they test their own thing.
   */
  @AfterEach
  void cancelUnfinishedJobs() throws Exception {
    List<UUID> unfinished = new ArrayList<>();
    fixture
        .gateway
        .database()
        .pool()
        .query("SELECT id FROM export_job WHERE status IN ('queued', 'running')")
        .execute()
        .await()
        .forEach(r -> unfinished.add(r.getUUID("id")));
    for (UUID job : unfinished) {
      HttpResponse<String> cancel = fixture.delete("/fhir/bulk-status/" + job, analyst());
      assertThat(cancel.statusCode()).as("cancelling job " + job).isIn(202, 404);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  static String group(List<String> numbers) {
    JsonArray members = new JsonArray();
    numbers.forEach(
        n ->
            members.add(
                new JsonObject()
                    .put(
                        "entity",
                        new JsonObject()
                            .put(
                                "identifier",
                                new JsonObject()
                                    .put("system", Fhir.NHS_NUMBER_SYSTEM)
                                    .put("value", n)))));
    return new JsonObject()
        .put("resourceType", "Group")
        .put("type", "person")
        .put("actual", true)
        .put("name", "test caseload")
        .put("member", members)
        .encode();
  }

  static List<String> everyone(GatewayFixture f) {
    return f.people.stream().map(p -> p.nhsNumber().toString()).toList();
  }

  /** Registers a Group and answers its id. */
  static String registered(GatewayFixture f, String token, List<String> numbers) throws Exception {
    HttpResponse<String> r = f.post("/fhir/Group", token, group(numbers));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    String id = new JsonObject(r.body()).getString("id");
    assertThat(r.headers().firstValue("Location"))
        .hasValue(GatewayFixture.PUBLIC_URL + "/fhir/Group/" + id);
    return id;
  }

  /** The path of a URL the gateway gave under its public URL, to ask this instance. */
  static String path(String url) {
    return URI.create(url).getRawPath();
  }

  /**
   * Polls the status URL until the job is done; answers the final response. Fails, saying where the
   * job is, once it has taken longer than its sources' deadlines allow ({@link BulkJobWait}).
   */
  static HttpResponse<String> await(GatewayFixture f, String token, String statusUrl)
      throws Exception {
    return BulkJobWait.finished(f, token, statusUrl);
  }

  static String kickOff(GatewayFixture f, String token, String group, String operation)
      throws Exception {
    HttpResponse<String> r =
        f.get("/fhir/Group/" + group + "/" + operation, token, "Prefer", "respond-async");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    return r.headers().firstValue("Content-Location").orElseThrow();
  }

  static String analyst() throws Exception {
    return fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "PUBHLTH");
  }

  @Test
  void register_thenRead_givesTheSameMembersInOrder() throws Exception {
    String token = analyst();
    List<String> numbers = everyone(fixture).subList(0, 5);

    String id = registered(fixture, token, numbers);
    HttpResponse<String> read = fixture.get("/fhir/Group/" + id, token);

    assertThat(read.statusCode()).isEqualTo(200);
    var group = Fhir.json().parseResource(org.hl7.fhir.r4.model.Group.class, read.body());
    assertThat(group.getQuantity()).isEqualTo(5);
    assertThat(group.getMember().stream().map(m -> m.getEntity().getIdentifier().getValue()))
        .containsExactlyElementsOf(numbers);
  }

  @Test
  void register_everyBadMemberIsReported_andNothingIsKept() throws Exception {
    List<String> numbers = new ArrayList<>(everyone(fixture).subList(0, 3));
    numbers.add("9990000019"); // wrong check digit
    numbers.add(numbers.get(1)); // the same person twice

    HttpResponse<String> r = fixture.post("/fhir/Group", analyst(), group(numbers));

    assertThat(r.statusCode()).isEqualTo(422);
    assertThat(r.body())
        .contains("Group.member[3].entity.identifier.value")
        .contains("Group.member[4]: the same NHS number as Group.member[1]");
    assertThat(r.headers().firstValue("Location")).isEmpty();
  }

  @Test
  void register_tooManyMembers_orNotAGroup_isRefused() throws Exception {
    List<String> many = new ArrayList<>();
    for (long n = 999_000_000L; many.size() <= MAX_MEMBERS; n++) {
      org.placeshare.policy.NhsNumber.withCheckDigit(Long.toString(n))
          .ifPresent(x -> many.add(x.toString()));
    }

    HttpResponse<String> tooMany = fixture.post("/fhir/Group", analyst(), group(many));
    HttpResponse<String> patient =
        fixture.post("/fhir/Group", analyst(), "{\"resourceType\":\"Patient\"}");
    HttpResponse<String> unknownElement =
        fixture.post(
            "/fhir/Group",
            analyst(),
            group(everyone(fixture).subList(0, 1))
                .replace("\"type\"", "\"colour\":\"red\",\"type\""));

    assertThat(tooMany.statusCode()).isEqualTo(422);
    assertThat(tooMany.body()).contains("expected 1 to 30 members, got 31");
    assertThat(patient.statusCode()).isEqualTo(400);
    assertThat(unknownElement.statusCode()).isEqualTo(400);
    assertThat(unknownElement.body()).contains("colour");
  }

  @Test
  void export_leavesOutOptedOutAndRestricted_andPseudonymisesAsTheAgreementSays() throws Exception {
    String token = analyst();
    String group = registered(fixture, token, everyone(fixture));

    HttpResponse<String> done = await(fixture, token, kickOff(fixture, token, group, "$export"));

    assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
    JsonObject manifest = new JsonObject(done.body());
    assertThat(manifest.getBoolean("requiresAccessToken")).isTrue();
    JsonObject counts =
        manifest
            .getJsonObject("extension")
            .getJsonObject("https://placeshare.example/fhir/StructureDefinition/cohort-counts");
    assertThat(counts.getInteger("members")).isEqualTo(20);
    assertThat(counts.getInteger("included")).isEqualTo(18);
    // The council's own source answers for the flagged two as for anyone, and it is down: they
    // fail as anyone held by no other source would, and nothing of the others' leaves.
    assertThat(counts.getInteger("leftOut")).isZero();
    assertThat(counts.getInteger("failed")).isEqualTo(2);
    String patients = download(token, manifest, "Patient");
    String conditions = download(token, manifest, "Condition");
    assertThat(patients.lines()).hasSize(18);
    // The MedicationStatements the GP holds are outside the agreement: no file for them.
    assertThat(types(manifest)).containsExactlyInAnyOrder("Patient", "Condition", "Encounter");

    // No NHS number and no name leaves; each Patient carries its pseudonym under this agreement.
    for (SyntheticPerson p : fixture.people) {
      assertThat(patients + conditions).doesNotContain(p.nhsNumber().toString());
      assertThat(patients).doesNotContain("\"" + p.family() + "\"");
    }
    Set<String> expected =
        fixture.people.stream()
            .filter(p -> p != optedOut && p != restricted)
            .map(p -> pseudonyms.of(POPULATION, Fhir.NHS_NUMBER_SYSTEM, p.nhsNumber().toString()))
            .collect(Collectors.toSet());
    List<Patient> released =
        patients.lines().map(l -> Fhir.json().parseResource(Patient.class, l)).toList();
    assertThat(released)
        .allSatisfy(
            p ->
                assertThat(p.getIdentifierFirstRep().getSystem())
                    .isEqualTo(Pseudonyms.SYSTEM_PREFIX + POPULATION));
    assertThat(released.stream().map(p -> p.getIdentifierFirstRep().getValue()))
        .containsExactlyInAnyOrderElementsOf(expected);
    // Every Condition points at a Patient in the export.
    Set<String> ids =
        released.stream()
            .map(p -> "Patient/" + p.getIdElement().getIdPart())
            .collect(Collectors.toSet());
    assertThat(conditions.lines().map(l -> Fhir.json().parseResource(Condition.class, l)))
        .isNotEmpty()
        .allSatisfy(c -> assertThat(ids).contains(c.getSubject().getReference()))
        // The sources' own record ids are identifiers too: pseudonyms under this agreement.
        .allSatisfy(c -> assertThat(c.getIdElement().getIdPart()).matches("[0-9a-f]{32}"));
    assertThat(patients + conditions).doesNotContain("\"gp-").doesNotContain("/gp-");
    // The council's source is down in this fixture: said in general terms in the error file.
    JsonArray errors = manifest.getJsonArray("error");
    assertThat(errors).hasSize(1);
    assertThat(fixture.get(path(errors.getJsonObject(0).getString("url")), token).body())
        .contains("source council-asc could not be read for 20 members")
        .doesNotContain("999");
  }

  @Test
  void export_isAuditedPerPersonReleased_andOnceForTheJob() throws Exception {
    String token = analyst();
    String group = registered(fixture, token, everyone(fixture).subList(0, 6));
    String status = kickOff(fixture, token, group, "$export");
    String job = status.substring(status.lastIndexOf('/') + 1);
    assertThat(await(fixture, token, status).statusCode()).isEqualTo(200);

    // The IG lead finds the job's events by its id: one per person released and one for the job.
    String ig = fixture.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT");
    HttpResponse<String> found =
        fixture.get("/audit/events?action=cohort-export&request=" + job, ig);
    assertThat(found.statusCode()).as(found.body()).isEqualTo(200);
    List<String> people = new ArrayList<>();
    List<String> summaries = new ArrayList<>();
    for (Object o : new JsonObject(found.body()).getJsonArray("events")) {
      JsonObject event = (JsonObject) o;
      assertThat(event.getString("requestId")).isEqualTo(job);
      if (event.getString("patient") == null) {
        summaries.add(event.getJsonObject("detail").getString("detail"));
      } else {
        people.add(event.getString("patient"));
      }
    }
    // Person 3 (opted out) and 4 (restricted) are among the six: not released, so no event each.
    assertThat(people)
        .containsExactlyInAnyOrderElementsOf(
            everyone(fixture).subList(0, 6).stream()
                .filter(
                    n ->
                        !n.equals(optedOut.nhsNumber().toString())
                            && !n.equals(restricted.nhsNumber().toString()))
                .toList());
    assertThat(summaries)
        .singleElement()
        .asString()
        .contains("cohort export of 6 members finished: 4 released")
        .contains("2 failed");
  }

  @Test
  void export_filesAreOnlyForTheClientThatAsked() throws Exception {
    String token = analyst();
    String group = registered(fixture, token, everyone(fixture).subList(0, 2));
    JsonObject manifest =
        new JsonObject(await(fixture, token, kickOff(fixture, token, group, "$export")).body());
    String file = path(manifest.getJsonArray("output").getJsonObject(0).getString("url"));
    String other = fixture.token(GatewayFixture.AE_CLIENT, "clinician", "TREAT");

    assertThat(fixture.get(file, other).statusCode()).isEqualTo(404);
    assertThat(fixture.get("/fhir/Group/" + group, other).statusCode()).isEqualTo(404);
    assertThat(fixture.get(file).statusCode()).isEqualTo(401);
    assertThat(fixture.get(file.replace(".ndjson", "/../x.ndjson"), token).statusCode())
        .isEqualTo(404);
  }

  @Test
  void exportJob_underAnotherPurposeOfTheSameClient_isNotFoundToReadDownloadOrDelete()
      throws Exception {
    String token = analyst();
    String group = registered(fixture, token, everyone(fixture).subList(0, 2));
    String status = kickOff(fixture, token, group, "$export");
    JsonObject manifest = new JsonObject(await(fixture, token, status).body());
    String file = path(manifest.getJsonArray("output").getJsonObject(0).getString("url"));
    // The same client and user, asking for operational purposes: not the job's purpose.
    String operations = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");

    assertThat(fixture.get(path(status), operations).statusCode()).isEqualTo(404);
    assertThat(fixture.get(file, operations).statusCode()).isEqualTo(404);
    assertThat(fixture.delete(path(status), operations).statusCode()).isEqualTo(404);
    // Still there for the purpose it was started under.
    assertThat(fixture.get(path(status), token).statusCode()).isEqualTo(200);
    assertThat(fixture.get(file, token).statusCode()).isEqualTo(200);
  }

  @Test
  void kickOff_withoutRespondAsync_orUnderAnAgreementWithoutCohortExport_isRefused()
      throws Exception {
    String token = analyst();
    String group = registered(fixture, token, everyone(fixture).subList(0, 3));
    String planning = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");

    HttpResponse<String> sync = fixture.get("/fhir/Group/" + group + "/$export", token);
    // The council-intelligence agreement (HOPERAT) shares people one at a time only.
    HttpResponse<String> notAgreed =
        fixture.get("/fhir/Group/" + group + "/$export", planning, "Prefer", "respond-async");
    HttpResponse<String> badType =
        fixture.get(
            "/fhir/Group/" + group + "/$export?_type=Nonsense", token, "Prefer", "respond-async");

    assertThat(sync.statusCode()).isEqualTo(400);
    assertThat(sync.body()).contains("Prefer: respond-async is required");
    assertThat(notAgreed.statusCode()).isEqualTo(403);
    assertThat(notAgreed.body()).contains("no data-sharing agreement permits a cohort export");
    assertThat(badType.statusCode()).isEqualTo(400);
  }

  @Test
  void cancel_deletesTheFiles_andTheJobIsGone() throws Exception {
    String token = analyst();
    String group = registered(fixture, token, everyone(fixture).subList(0, 4));
    String status = kickOff(fixture, token, group, "$export");
    JsonObject manifest = new JsonObject(await(fixture, token, status).body());
    String job = status.substring(status.lastIndexOf('/') + 1);
    assertThat(Files.exists(dir.resolve("exports").resolve(job))).isTrue();

    HttpResponse<String> cancel = fixture.delete(path(status), token);

    assertThat(cancel.statusCode()).isEqualTo(202);
    assertThat(Files.exists(dir.resolve("exports").resolve(job))).isFalse();
    assertThat(fixture.get(path(status), token).statusCode()).isEqualTo(404);
    String file = path(manifest.getJsonArray("output").getJsonObject(0).getString("url"));
    assertThat(fixture.get(file, token).statusCode()).isEqualTo(404);
  }

  @Test
  void deleteGroup_removesItsMembersJobsAndFiles_forItsOrganisationOnly() throws Exception {
    String token = analyst();
    String group = registered(fixture, token, everyone(fixture).subList(0, 2));
    String status = kickOff(fixture, token, group, "$export");
    String job = status.substring(status.lastIndexOf('/') + 1);
    assertThat(await(fixture, token, status).statusCode()).isEqualTo(200);
    String other = fixture.token(GatewayFixture.AE_CLIENT, "clinician", "TREAT");

    assertThat(fixture.delete("/fhir/Group/" + group, other).statusCode()).isEqualTo(404);
    assertThat(fixture.delete("/fhir/Group/" + group, token).statusCode()).isEqualTo(204);

    assertThat(fixture.get("/fhir/Group/" + group, token).statusCode()).isEqualTo(404);
    assertThat(fixture.get(path(status), token).statusCode()).isEqualTo(404);
    assertThat(Files.exists(dir.resolve("exports").resolve(job))).isFalse();
    assertThat(fixture.delete("/fhir/Group/" + group, token).statusCode()).isEqualTo(404);
  }

  @Test
  void summary_countsTheReleasedPeople_andSuppressesSmallCells() throws Exception {
    String token = analyst();
    String group = registered(fixture, token, everyone(fixture));

    HttpResponse<String> done = await(fixture, token, kickOff(fixture, token, group, "$summary"));

    assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
    JsonObject summary = new JsonObject(done.body());
    assertThat(summary.getJsonObject("people").getInteger("count")).isEqualTo(18);
    for (String table : List.of("sex", "ageBand", "conditionCategory")) {
      JsonArray rows = summary.getJsonArray(table);
      for (Object row : rows) {
        Integer count = ((JsonObject) row).getInteger("count");
        assertThat(count == null || count == 0 || count >= 10).as(table + " " + row).isTrue();
      }
    }
    // Sex and age band add up to the 18 people: never exactly one cell hidden.
    for (String table : List.of("sex", "ageBand")) {
      long hidden =
          summary.getJsonArray(table).stream()
              .filter(r -> ((JsonObject) r).getBoolean("suppressed", false))
              .count();
      assertThat(hidden).as(table).isNotEqualTo(1);
    }
  }

  private static Set<String> types(JsonObject manifest) {
    return manifest.getJsonArray("output").stream()
        .map(o -> ((JsonObject) o).getString("type"))
        .collect(Collectors.toSet());
  }

  private static String download(String token, JsonObject manifest, String type) throws Exception {
    for (Object o : manifest.getJsonArray("output")) {
      JsonObject entry = (JsonObject) o;
      if (entry.getString("type").equals(type)) {
        HttpResponse<String> r = fixture.get(path(entry.getString("url")), token);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/fhir+ndjson");
        assertThat(r.body().lines()).hasSize(entry.getInteger("count"));
        return r.body();
      }
    }
    throw new AssertionError("no " + type + " file in " + manifest.encode());
  }
}
