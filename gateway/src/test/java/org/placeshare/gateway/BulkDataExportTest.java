package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.policy.identity.SigningKey;

/**
 * FHIR Bulk Data Access v2 to the letter, over HTTP against the real gateway, sources and
 * PostgreSQL: the kick-off's parameters ({@code _type}, {@code _since}, {@code _elements}, {@code
 * _typeFilter}, {@code _outputFormat}, {@code includeAssociatedData}), {@code Prefer: handling},
 * {@code Accept}, the POST form with a {@code Parameters} body, {@code Patient/$export}, the
 * manifest's headers, cancelling as a cancel, and hostile requests for each.
 */
class BulkDataExportTest {

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static HeldGp gp;

  @BeforeAll
  static void start() throws Exception {
    // One member at a time: a job of 20 runs in three chunks, so a cancel can land while it runs.
    GatewayConfig.Cohorts cohorts =
        new GatewayConfig.Cohorts(
            30,
            1,
            java.time.Duration.ofSeconds(30),
            java.time.Duration.ofHours(1),
            10,
            2,
            dir.resolve("exports"));
    // It answers at once until the cancel's case holds it.
    gp = new HeldGp();
    fixture =
        GatewayFixture.start(
            dir.resolve("gw"),
            TestPostgres.freshDatabase(),
            SigningKey.generate(),
            c -> gp.in(GatewayFixture.withCohorts(c, cohorts, Optional.empty())));
    fixture.addAgreement("gm-connect-population-health.yaml");
  }

  @AfterAll
  static void stop() throws Exception {
    if (gp != null) {
      gp.close();
    }
    if (fixture != null) {
      fixture.close();
    }
  }

  /** Each case's jobs run at once and within the client's cap: what one left running goes. */
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
      fixture.delete("/fhir/bulk-status/" + job, analyst());
    }
  }

  static String analyst() throws Exception {
    return fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "PUBHLTH");
  }

  static String group(int members) throws Exception {
    return CohortExportTest.registered(
        fixture, analyst(), CohortExportTest.everyone(fixture).subList(0, members));
  }

  static HttpResponse<String> kickOff(String path, String... headers) throws Exception {
    List<String> all = new ArrayList<>(List.of(headers));
    if (!all.contains("Prefer")) {
      all.addAll(List.of("Prefer", "respond-async"));
    }
    return fixture.get(path, analyst(), all.toArray(String[]::new));
  }

  static HttpResponse<String> postKickOff(String path, String body, String... headers)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(fixture.url(path))
            .header("Authorization", "Bearer " + analyst())
            .header("Content-Type", "application/fhir+json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return HttpClientHolder.HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static final class HttpClientHolder {
    static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newHttpClient();
  }

  /** Kicks off (202 expected), waits, and answers the manifest. */
  static JsonObject exported(String path, String... headers) throws Exception {
    HttpResponse<String> r = kickOff(path, headers);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    return manifest(r);
  }

  static JsonObject manifest(HttpResponse<String> kickOff) throws Exception {
    String status = kickOff.headers().firstValue("Content-Location").orElseThrow();
    HttpResponse<String> done = CohortExportTest.await(fixture, analyst(), status);
    assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
    return new JsonObject(done.body());
  }

  static Set<String> types(JsonObject manifest) {
    return manifest.getJsonArray("output").stream()
        .map(o -> ((JsonObject) o).getString("type"))
        .collect(Collectors.toSet());
  }

  static String file(JsonObject manifest, String array, String type) throws Exception {
    for (Object o : manifest.getJsonArray(array)) {
      JsonObject entry = (JsonObject) o;
      if (entry.getString("type").equals(type)) {
        HttpResponse<String> r =
            fixture.get(CohortExportTest.path(entry.getString("url")), analyst());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
      }
    }
    throw new AssertionError("no " + type + " in " + array + " of " + manifest.encode());
  }

  static String body(String name, String value) {
    return "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\""
        + name
        + "\",\"valueString\":\""
        + value
        + "\"}]}";
  }

  // --- _type ---

  @Test
  void groupExport_typeCondition_writesOnlyConditions_noPatientFile() throws Exception {
    JsonObject manifest = exported("/fhir/Group/" + group(3) + "/$export?_type=Condition");

    assertThat(types(manifest)).containsExactly("Condition");
    assertThat(file(manifest, "output", "Condition").lines())
        .allSatisfy(
            l -> assertThat(new JsonObject(l).getString("resourceType")).isEqualTo("Condition"));
  }

  @Test
  void groupExport_typePatientAndCondition_writesBoth() throws Exception {
    JsonObject manifest = exported("/fhir/Group/" + group(3) + "/$export?_type=Patient,Condition");

    assertThat(types(manifest)).containsExactlyInAnyOrder("Patient", "Condition");
  }

  @Test
  void kickOff_typeOfTenThousandCharacters_is400ByPost_and414ByGet() throws Exception {
    String group = group(1);
    String types = "Condition,".repeat(1000);

    HttpResponse<String> get = kickOff("/fhir/Group/" + group + "/$export?_type=" + types);
    HttpResponse<String> post =
        postKickOff(
            "/fhir/Group/" + group + "/$export", body("_type", types), "Prefer", "respond-async");

    // The URL is longer than the HTTP server reads; in a body, the parameter's own cap answers.
    assertThat(get.statusCode()).isEqualTo(414);
    assertThat(post.statusCode()).isEqualTo(400);
    assertThat(post.body()).contains("_type: expected at most 4096 characters");
  }

  // --- _since ---

  @Test
  void kickOff_sinceInTheFuture_is400() throws Exception {
    HttpResponse<String> r =
        kickOff("/fhir/Group/" + group(1) + "/$export?_since=2027-01-01T00:00:00Z");

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("_since: 2027-01-01T00:00:00Z is in the future");
  }

  @Test
  void kickOff_sinceGarbage_is400() throws Exception {
    HttpResponse<String> r =
        kickOff(
            "/fhir/Group/"
                + group(1)
                + "/$export?_since="
                + URLEncoder.encode("yesterday'; DROP TABLE x", StandardCharsets.UTF_8));

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("_since: expected an instant");
  }

  @Test
  void kickOff_sinceBeyondADatesRange_is400_notAJobThatFailsEverySource() throws Exception {
    HttpResponse<String> r =
        kickOff(
            "/fhir/Group/"
                + group(1)
                + "/$export?_since="
                + URLEncoder.encode("-999999999-01-01T00:00:00Z", StandardCharsets.UTF_8));

    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(r.body()).contains("_since: expected an instant such as");
  }

  @Test
  void kickOff_sinceBeforeTheFloor_is400() throws Exception {
    HttpResponse<String> r =
        kickOff("/fhir/Group/" + group(1) + "/$export?_since=1899-12-31T00:00:00Z");

    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(r.body()).contains("_since: expected an instant not before 1900-01-01T00:00:00Z");
  }

  @Test
  void groupExport_sinceAfterTheRecordsLastChanged_leavesThemOut() throws Exception {
    // The synthetic sources' records were last updated on 2026-10-01.
    String group = group(3);
    JsonObject before = exported("/fhir/Group/" + group + "/$export?_since=2026-09-01T00:00:00Z");
    JsonObject after = exported("/fhir/Group/" + group + "/$export?_since=2026-10-15T00:00:00Z");

    assertThat(types(before)).contains("Condition");
    assertThat(types(after)).doesNotContain("Condition", "Encounter");
  }

  // --- Prefer: handling ---

  @Test
  void kickOff_unknownParameterUnderStrict_is400() throws Exception {
    HttpResponse<String> r =
        kickOff(
            "/fhir/Group/" + group(1) + "/$export?_colour=red",
            "Prefer",
            "respond-async, handling=strict");

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("_colour: not a parameter of this kick-off");
  }

  @Test
  void kickOff_unknownParameterUnderLenient_isIgnored_withAWarningInTheErrorFile()
      throws Exception {
    JsonObject manifest =
        exported(
            "/fhir/Group/" + group(2) + "/$export?_colour=red",
            "Prefer",
            "respond-async, handling=lenient");

    assertThat(file(manifest, "error", "OperationOutcome"))
        .contains("ignored under Prefer: handling=lenient: _colour: not a parameter");
  }

  @Test
  void kickOff_withoutRespondAsync_is400() throws Exception {
    HttpResponse<String> r =
        kickOff("/fhir/Group/" + group(1) + "/$export", "Prefer", "handling=lenient");

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("Prefer: respond-async is required");
  }

  // --- _typeFilter, includeAssociatedData, patient, _outputFormat ---

  @Test
  void kickOff_typeFilterUnderStrict_is400_andUnderLenientIgnoredWithAWarning() throws Exception {
    String group = group(2);
    String query =
        "/$export?_typeFilter=" + URLEncoder.encode("Condition?code=x", StandardCharsets.UTF_8);

    HttpResponse<String> strict = kickOff("/fhir/Group/" + group + query);
    JsonObject lenient =
        exported("/fhir/Group/" + group + query, "Prefer", "respond-async, handling=lenient");

    assertThat(strict.statusCode()).isEqualTo(400);
    assertThat(strict.body()).contains("_typeFilter: not supported");
    assertThat(file(lenient, "error", "OperationOutcome")).contains("_typeFilter: not supported");
  }

  @Test
  void kickOff_includeAssociatedDataUnderStrict_is400() throws Exception {
    HttpResponse<String> r =
        kickOff(
            "/fhir/Group/" + group(1) + "/$export?includeAssociatedData=LatestProvenanceResources");

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("includeAssociatedData");
  }

  @Test
  void kickOff_patientParameter_isRefusedEvenUnderLenient() throws Exception {
    HttpResponse<String> r =
        postKickOff(
            "/fhir/Group/" + group(1) + "/$export",
            "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"patient\","
                + "\"valueReference\":{\"reference\":\"Patient/x\"}}]}",
            "Prefer",
            "respond-async, handling=lenient");

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("patient: not supported");
  }

  @Test
  void kickOff_outputFormat_takesTheThreeNdjsonNames_andRefusesOthers() throws Exception {
    String group = group(1);
    for (String format : List.of("application/fhir+ndjson", "application/ndjson", "ndjson")) {
      HttpResponse<String> r =
          kickOff(
              "/fhir/Group/"
                  + group
                  + "/$export?_outputFormat="
                  + URLEncoder.encode(format, StandardCharsets.UTF_8));
      assertThat(r.statusCode()).as(format + ": " + r.body()).isEqualTo(202);
      manifest(r);
    }
    HttpResponse<String> csv = kickOff("/fhir/Group/" + group + "/$export?_outputFormat=text/csv");

    assertThat(csv.statusCode()).isEqualTo(400);
  }

  // --- Accept ---

  @Test
  void kickOff_acceptXml_is406() throws Exception {
    HttpResponse<String> r =
        kickOff("/fhir/Group/" + group(1) + "/$export", "Accept", "application/fhir+xml");

    assertThat(r.statusCode()).isEqualTo(406);
  }

  @Test
  void download_acceptNotNdjson_is406() throws Exception {
    JsonObject manifest = exported("/fhir/Group/" + group(2) + "/$export?_type=Condition");
    String url = manifest.getJsonArray("output").getJsonObject(0).getString("url");

    HttpResponse<String> r =
        fixture.get(CohortExportTest.path(url), analyst(), "Accept", "application/fhir+xml");

    assertThat(r.statusCode()).isEqualTo(406);
  }

  // --- _elements ---

  @Test
  void groupExport_elements_keepsThoseAndTheMandatory_taggedSubsetted() throws Exception {
    JsonObject manifest =
        exported("/fhir/Group/" + group(3) + "/$export?_type=Condition&_elements=Condition.code");

    List<String> lines = file(manifest, "output", "Condition").lines().toList();
    assertThat(lines).isNotEmpty();
    for (String line : lines) {
      JsonObject condition = new JsonObject(line);
      // subject is mandatory in R4's Condition: kept though not asked for.
      assertThat(condition.fieldNames())
          .containsAll(Set.of("resourceType", "id", "meta", "code", "subject"))
          .isSubsetOf(Set.of("resourceType", "id", "meta", "code", "subject"));
      assertThat(condition.getJsonObject("meta").getJsonArray("tag"))
          .contains(
              new JsonObject()
                  .put("system", "http://terminology.hl7.org/CodeSystem/v3-ObservationValue")
                  .put("code", "SUBSETTED"));
    }
  }

  @Test
  void kickOff_elementsNotARootElement_is400() throws Exception {
    HttpResponse<String> r =
        kickOff("/fhir/Group/" + group(1) + "/$export?_elements=Patient.name.given");

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("_elements: expected root elements");
  }

  // --- POST kick-off ---

  @Test
  void kickOff_byPostWithParameters_runsTheExportAsAsked() throws Exception {
    HttpResponse<String> r =
        postKickOff(
            "/fhir/Group/" + group(3) + "/$export",
            body("_type", "Condition"),
            "Prefer",
            "respond-async");

    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    JsonObject manifest = manifest(r);
    assertThat(types(manifest)).containsExactly("Condition");
    // A POST's request URL carries no parameters (they were in the body).
    assertThat(manifest.getString("request")).endsWith("/$export");
  }

  @Test
  void kickOff_byPost_unknownParameterOrNotParametersOrQueryToo_is400() throws Exception {
    String group = group(1);
    HttpResponse<String> unknown =
        postKickOff(
            "/fhir/Group/" + group + "/$export", body("_colour", "red"), "Prefer", "respond-async");
    HttpResponse<String> notParameters =
        postKickOff(
            "/fhir/Group/" + group + "/$export",
            "{\"resourceType\":\"Patient\"}",
            "Prefer",
            "respond-async");
    HttpResponse<String> queryToo =
        postKickOff(
            "/fhir/Group/" + group + "/$export?_type=Condition",
            body("_type", "Condition"),
            "Prefer",
            "respond-async");

    assertThat(unknown.statusCode()).isEqualTo(400);
    assertThat(notParameters.statusCode()).isEqualTo(400);
    assertThat(queryToo.statusCode()).isEqualTo(400);
    assertThat(queryToo.body()).contains("in the Parameters body only");
  }

  // --- Patient/$export ---

  @Test
  void patientExport_exportsThePeopleOfTheOrganisationsCohorts_eachOnce() throws Exception {
    // Two overlapping cohorts: people 0-4 and 3-7; eight people in all.
    List<String> everyone = CohortExportTest.everyone(fixture);
    CohortExportTest.registered(fixture, analyst(), everyone.subList(0, 5));
    CohortExportTest.registered(fixture, analyst(), everyone.subList(3, 8));
    int people =
        fixture
            .gateway
            .database()
            .pool()
            .query(
                "SELECT count(DISTINCT m.nhs_number) FROM cohort_member m JOIN cohort c ON c.id ="
                    + " m.cohort_id WHERE NOT c.snapshot")
            .execute()
            .await()
            .iterator()
            .next()
            .getLong(0)
            .intValue();

    JsonObject manifest = exported("/fhir/Patient/$export?_type=Patient");

    JsonObject counts =
        manifest
            .getJsonObject("extension")
            .getJsonObject("https://placeshare.example/fhir/StructureDefinition/cohort-counts");
    assertThat(counts.getInteger("members")).isEqualTo(people);
    assertThat(file(manifest, "output", "Patient").lines().count())
        .isEqualTo(counts.getInteger("included").longValue());
  }

  @Test
  void patientExport_forAnOrganisationWithNoCohort_is422() throws Exception {
    String ae = fixture.token(GatewayFixture.AE_CLIENT, "clinician", "TREAT");

    HttpResponse<String> r = fixture.get("/fhir/Patient/$export", ae, "Prefer", "respond-async");

    assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
    assertThat(r.body()).contains("register a Group first");
  }

  // --- status, manifest, files ---

  @Test
  void manifest_isAsTheSpecSays_withExpires() throws Exception {
    HttpResponse<String> r = kickOff("/fhir/Group/" + group(3) + "/$export");
    String status = r.headers().firstValue("Content-Location").orElseThrow();
    HttpResponse<String> done = CohortExportTest.await(fixture, analyst(), status);
    JsonObject manifest = new JsonObject(done.body());

    // IMF-fixdate (RFC 9110): a two-digit day and GMT, as standard clients parse it.
    assertThat(done.headers().firstValue("Expires"))
        .hasValueSatisfying(
            v ->
                assertThat(v)
                    .matches(
                        "[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT"));
    // A Date to compare Expires with: clients do not trust their own clocks against the server's.
    var http = java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME;
    var date = java.time.ZonedDateTime.parse(done.headers().firstValue("Date").orElseThrow(), http);
    var expires =
        java.time.ZonedDateTime.parse(done.headers().firstValue("Expires").orElseThrow(), http);
    assertThat(expires).isAfter(date);
    assertThat(manifest.getString("transactionTime")).isNotBlank();
    assertThat(manifest.getString("request")).endsWith("/$export");
    assertThat(manifest.getBoolean("requiresAccessToken")).isTrue();
    assertThat(manifest.getJsonArray("error")).isNotNull();
    for (Object o : manifest.getJsonArray("output")) {
      assertThat(((JsonObject) o).fieldNames()).contains("type", "url", "count");
    }
  }

  @Test
  void download_ofAnotherClientsJob_is404_andAPathTraversal_is404() throws Exception {
    JsonObject manifest = exported("/fhir/Group/" + group(2) + "/$export?_type=Condition");
    String url =
        CohortExportTest.path(manifest.getJsonArray("output").getJsonObject(0).getString("url"));
    String job = url.split("/")[3];
    String ae = fixture.token(GatewayFixture.AE_CLIENT, "clinician", "TREAT");

    HttpResponse<String> other = fixture.get(url, ae);
    assertThat(other.statusCode()).isEqualTo(404);
    for (String hostile :
        List.of("..%2F..%2F..%2Fetc%2Fpasswd", "%2e%2e", "Condition.ndjson%00", "..%2Fexports")) {
      HttpResponse<String> r = fixture.get("/fhir/bulk-files/" + job + "/" + hostile, analyst());
      assertThat(r.statusCode()).as(hostile).isIn(400, 404);
      assertThat(r.body()).doesNotContain("root:");
    }
  }

  // --- cancel ---

  @Test
  void cancel_ofAnotherClientsJob_is404_andTheJobRuns() throws Exception {
    HttpResponse<String> r = kickOff("/fhir/Group/" + group(2) + "/$export");
    String status = CohortExportTest.path(r.headers().firstValue("Content-Location").orElseThrow());
    String ae = fixture.token(GatewayFixture.AE_CLIENT, "clinician", "TREAT");

    assertThat(fixture.delete(status, ae).statusCode()).isEqualTo(404);
    assertThat(CohortExportTest.await(fixture, analyst(), status).statusCode()).isEqualTo(200);
  }

  @Test
  void cancel_whileTheJobRuns_isACancelInTheAudit_notAFailure() throws Exception {
    String group = group(20);
    gp.arm();
    HttpResponse<String> r = kickOff("/fhir/Group/" + group + "/$export");
    String status = CohortExportTest.path(r.headers().firstValue("Content-Location").orElseThrow());
    String job = status.substring(status.lastIndexOf('/') + 1);
    // The first chunk is in hand while the client cancels.
    gp.awaitSecondMember();
    HttpResponse<String> cancel = fixture.delete(status, analyst());
    assertThat(cancel.statusCode()).isEqualTo(202);
    assertThat(fixture.get(status, analyst()).statusCode()).isEqualTo(404);
    assertThat(Files.exists(dir.resolve("exports").resolve(job))).isFalse();
    gp.letGo();

    // The runner notices at its next checkpoint or write, and says it was a cancel.
    List<String> events = List.of();
    for (int i = 0; i < 200; i++) {
      events = events(job);
      if (events.stream().anyMatch(e -> e.contains("cancelled by the client while it ran"))) {
        break;
      }
      Thread.sleep(50);
    }
    assertThat(events)
        .anyMatch(
            e ->
                e.startsWith("permitted|")
                    && e.contains("job cancelled by the client while it ran"));
    assertThat(events).noneMatch(e -> e.startsWith("failed|"));
    assertThat(events).noneMatch(e -> e.contains("could not be written"));
    // The chunk that was in hand wrote nothing back.
    assertThat(Files.exists(dir.resolve("exports").resolve(job))).isFalse();
  }

  /** The job's audit events, each as {@code outcome|detail}. */
  static List<String> events(String job) {
    List<String> events = new ArrayList<>();
    fixture
        .gateway
        .database()
        .pool()
        .preparedQuery("SELECT outcome, detail FROM audit_event WHERE request_id = $1")
        .execute(Tuple.of(job))
        .await()
        .forEach(r -> events.add(r.getString("outcome") + "|" + r.getValue("detail")));
    return events;
  }
}
