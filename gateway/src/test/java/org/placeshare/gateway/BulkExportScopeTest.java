package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
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
 * Bulk jobs under the access token's SMART scopes and owned by who started them (issue 20 review,
 * findings 2 and 3), over HTTP against the real gateway, sources and PostgreSQL: a kick-off's types
 * are fixed under the token's scopes, since the job runs later for a caller without a token; and a
 * job's status, files and cancel answer only the client, purpose, role and user that started it.
 */
class BulkExportScopeTest {

  /** A second role of the council's client, which no agreement releases records to. */
  static final String PLANNER = "planner";

  @TempDir static Path dir;
  static GatewayFixture fixture;

  @BeforeAll
  static void start() throws Exception {
    GatewayConfig.Cohorts cohorts =
        new GatewayConfig.Cohorts(
            30,
            4,
            java.time.Duration.ofSeconds(30),
            java.time.Duration.ofHours(1),
            10,
            4,
            dir.resolve("exports"));
    fixture =
        GatewayFixture.start(
            dir.resolve("gw"),
            TestPostgres.freshDatabase(),
            SigningKey.generate(),
            c -> {
              List<GatewayConfig.Client> clients = new ArrayList<>();
              for (GatewayConfig.Client client : c.clients()) {
                clients.add(
                    client.id().equals(GatewayFixture.COUNCIL_CLIENT)
                        ? new GatewayConfig.Client(
                            client.id(),
                            client.organisation(),
                            client.publicKey(),
                            client.purposes(),
                            Set.of("analyst", PLANNER))
                        : client);
              }
              return GatewayFixture.withCohorts(
                  GatewayFixture.withClients(c, clients), cohorts, Optional.empty());
            });
    fixture.addAgreement("gm-connect-population-health.yaml");
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

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

  // --- finding 2: the token's scopes ---

  @Test
  void groupExport_groupOnlyScope_is403AndExportsNoRecords() throws Exception {
    String groupOnly = scoped("system/Group.rs");
    String group = group(analyst());
    long jobs = jobs();

    // The person view refuses this token; so must the export of the same people's records.
    assertThat(fixture.everything(firstMember(), groupOnly).statusCode()).isEqualTo(403);
    HttpResponse<String> r = kickOff("/fhir/Group/" + group + "/$export", groupOnly);

    assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
    assertThat(new JsonObject(r.body()).getString("resourceType")).isEqualTo("OperationOutcome");
    assertThat(r.body()).contains("$export: the access token's scope grants no type of record");
    assertThat(jobs()).isEqualTo(jobs);
  }

  @Test
  void groupExport_typeOutsideScope_is403NamingIt() throws Exception {
    String token = scoped("system/Group.rs system/Patient.rs");
    String group = group(analyst());
    long jobs = jobs();

    HttpResponse<String> r =
        kickOff("/fhir/Group/" + group + "/$export?_type=Patient,Condition,Encounter", token);

    assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
    assertThat(r.body())
        .contains(
            "$export: the access token's scope does not grant Condition, Encounter; ask for"
                + " system/Condition.rs system/Encounter.rs, or leave them out of _type");
    assertThat(jobs()).isEqualTo(jobs);
  }

  @Test
  void groupExport_scopeWithoutType_writesOnlyTheGrantedTypes() throws Exception {
    String token = scoped("system/Group.rs system/Patient.rs system/Condition.rs");
    String group = group(analyst());

    JsonObject manifest = exported("/fhir/Group/" + group + "/$export", token);

    assertThat(types(manifest)).containsExactlyInAnyOrder("Patient", "Condition");
  }

  @Test
  void patientExport_patientOnlyScope_writesOnlyPatient() throws Exception {
    group(analyst()); // the organisation's population
    String patientOnly = scoped("system/Patient.rs");

    JsonObject manifest = exported("/fhir/Patient/$export", patientOnly);

    assertThat(types(manifest)).containsExactly("Patient");
  }

  @Test
  void groupExport_wildcardScope_leavesTheAgreementsToDecide() throws Exception {
    String token = scoped("system/*.rs");
    String group = group(analyst());

    JsonObject manifest = exported("/fhir/Group/" + group + "/$export", token);

    // The agreement releases Patient, Condition, Encounter, EpisodeOfCare; the sources hold some.
    assertThat(types(manifest)).contains("Patient", "Condition", "Encounter");
    assertThat(types(manifest)).isSubsetOf("Patient", "Condition", "Encounter", "EpisodeOfCare");
  }

  @Test
  void summary_scopeWithoutCondition_is403() throws Exception {
    String token = scoped("system/Group.rs system/Patient.rs");
    String group = group(analyst());

    HttpResponse<String> r = kickOff("/fhir/Group/" + group + "/$summary", token);

    assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
    assertThat(r.body())
        .contains(
            "$summary: the access token's scope does not grant Condition; ask for"
                + " system/Condition.rs (its figures are counted from both)");
  }

  // --- finding 3: the job's owner ---

  @Test
  void jobStatusAndFiles_otherRoleOfTheSameClient_is404() throws Exception {
    String group = group(analyst());
    JsonObject manifest = exported("/fhir/Group/" + group + "/$export", analyst());
    String status = lastStatus;
    String planner = fixture.token(GatewayFixture.COUNCIL_CLIENT, PLANNER, "PUBHLTH");

    HttpResponse<String> asPlanner = fixture.get(CohortExportTest.path(status), planner);
    assertThat(asPlanner.statusCode()).isEqualTo(404);
    assertThat(asPlanner.body()).contains("no such job for your client, purpose, role and user");
    assertThat(fixture.get(firstFile(manifest), planner).statusCode()).isEqualTo(404);
    assertThat(fixture.delete(CohortExportTest.path(status), planner).statusCode()).isEqualTo(404);
    // The owner still reads both: the job was not cancelled by the other role's DELETE.
    assertThat(fixture.get(CohortExportTest.path(status), analyst()).statusCode()).isEqualTo(200);
    assertThat(fixture.get(firstFile(manifest), analyst()).statusCode()).isEqualTo(200);
  }

  @Test
  void jobStatusAndFiles_otherUserOfTheSameClientAndRole_is404() throws Exception {
    String group = group(analyst());
    JsonObject manifest = exported("/fhir/Group/" + group + "/$export", analyst());
    String status = lastStatus;
    String colleague = fixture.token(GatewayFixture.COUNCIL_CLIENT, "user-2", "analyst", "PUBHLTH");

    assertThat(fixture.get(CohortExportTest.path(status), colleague).statusCode()).isEqualTo(404);
    assertThat(fixture.get(firstFile(manifest), colleague).statusCode()).isEqualTo(404);
    assertThat(fixture.get(CohortExportTest.path(status), analyst()).statusCode()).isEqualTo(200);
  }

  // --- helpers ---

  static String lastStatus;

  static String analyst() throws Exception {
    return fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "PUBHLTH");
  }

  /** A token of the council's analyst with only these scopes granted. */
  static String scoped(String scope) throws Exception {
    return scoped(fixture, GatewayFixture.COUNCIL_CLIENT, "analyst", "PUBHLTH", scope);
  }

  /** A token of this client, role and purpose that asked for these scopes and was granted them. */
  static String scoped(GatewayFixture f, String client, String role, String purpose, String scope)
      throws Exception {
    String assertion = f.assertion(client, f.clientKeys.get(client), role, purpose);
    HttpResponse<String> r =
        f.tokenForm(
            "grant_type=client_credentials&client_assertion_type="
                + URLEncoder.encode(
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    StandardCharsets.UTF_8)
                + "&client_assertion="
                + assertion
                + "&scope="
                + URLEncoder.encode(scope, StandardCharsets.UTF_8));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(new JsonObject(r.body()).getString("scope"))
        .as("granted as asked")
        .isEqualTo(String.join(" ", new java.util.TreeSet<>(List.of(scope.split(" ")))));
    return new JsonObject(r.body()).getString("access_token");
  }

  static String group(String token) throws Exception {
    return CohortExportTest.registered(
        fixture, token, CohortExportTest.everyone(fixture).subList(0, 3));
  }

  static String firstMember() {
    return CohortExportTest.everyone(fixture).get(0);
  }

  static HttpResponse<String> kickOff(String path, String token) throws Exception {
    return fixture.get(path, token, "Prefer", "respond-async");
  }

  static JsonObject exported(String path, String token) throws Exception {
    HttpResponse<String> r = kickOff(path, token);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    lastStatus = r.headers().firstValue("Content-Location").orElseThrow();
    HttpResponse<String> done = CohortExportTest.await(fixture, token, lastStatus);
    assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
    return new JsonObject(done.body());
  }

  static Set<String> types(JsonObject manifest) {
    return manifest.getJsonArray("output").stream()
        .map(o -> ((JsonObject) o).getString("type"))
        .collect(Collectors.toSet());
  }

  static String firstFile(JsonObject manifest) {
    return CohortExportTest.path(manifest.getJsonArray("output").getJsonObject(0).getString("url"));
  }

  static long jobs() throws Exception {
    return fixture
        .gateway
        .database()
        .pool()
        .query("SELECT count(*) AS n FROM export_job")
        .execute()
        .await()
        .iterator()
        .next()
        .getLong("n");
  }
}
