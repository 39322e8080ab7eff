package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Liveness and readiness, as a load balancer asks them on the public port and the operator on the
 * management port, and the Prometheus metrics, served on the management port only.
 */
class HealthTest {

  @TempDir static Path dir;
  static GatewayFixture fixture;

  @BeforeAll
  static void start() throws Exception {
    fixture = GatewayFixture.start(dir, TestPostgres.freshDatabase());
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void ready_whenAgreementsAndTheAuditAreThere_notWhenTheAuditIsGone() throws Exception {
    HttpResponse<String> live = fixture.management("/health/live");
    HttpResponse<String> ready = fixture.management("/health/ready");

    assertThat(live.statusCode()).isEqualTo(200);
    assertThat(ready.statusCode()).isEqualTo(200);
    JsonObject body = new JsonObject(ready.body());
    assertThat(body.getString("audit")).isEqualTo("writable");
    assertThat(body.getJsonObject("sources").fieldNames())
        .containsExactlyInAnyOrder("gp-y90001", "acute-r9a", "council-asc");

    var pool = fixture.gateway.database().pool();
    pool.query("ALTER TABLE audit_event RENAME TO audit_event_gone").execute().await();
    try {
      HttpResponse<String> gone = fixture.management("/health/ready");
      assertThat(gone.statusCode()).isEqualTo(503);
      assertThat(new JsonObject(gone.body()).getString("audit")).isEqualTo("unavailable");
      // The load balancer's view on the public port: the same status, nothing more.
      HttpResponse<String> publicGone = fixture.get("/health/ready");
      assertThat(publicGone.statusCode()).isEqualTo(503);
      assertThat(new JsonObject(publicGone.body()).fieldNames()).containsExactly("status");
      assertThat(fixture.management("/health/live").statusCode()).isEqualTo(200);
    } finally {
      pool.query("ALTER TABLE audit_event_gone RENAME TO audit_event").execute().await();
    }
    assertThat(fixture.management("/health/ready").statusCode()).isEqualTo(200);
  }

  @Test
  void publicListener_servesNoMetrics_andHealthWithoutDetails() throws Exception {
    assertThat(fixture.get("/metrics").statusCode()).isEqualTo(404);
    HttpResponse<String> live = fixture.get("/health/live");
    HttpResponse<String> ready = fixture.get("/health/ready");

    assertThat(live.statusCode()).isEqualTo(200);
    assertThat(ready.statusCode()).isEqualTo(200);
    // Which sources exist and which are down is for the operator, not for whoever asks.
    assertThat(new JsonObject(ready.body()).fieldNames()).containsExactly("status");
    assertThat(ready.body()).doesNotContain("council-asc");
  }

  @Test
  void metrics_countRequestsDecisionsReleasesFetchesAndAudit_withoutPeople() throws Exception {
    String council = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    String person = fixture.firstPerson().nhsNumber().toString();
    assertThat(fixture.everything(person, council).statusCode()).isEqualTo(200);

    HttpResponse<String> r = fixture.management("/metrics");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body())
        .contains(
            "placeshare_http_requests_seconds_count{route=\"/fhir/Patient/$everything\",status=\"200\"}")
        .contains(
            "placeshare_decisions_total{agreement=\"gm-connect-council-intelligence\",effect=\"permit\"}")
        .contains(
            "placeshare_records_released_total{agreement=\"gm-connect-council-intelligence\"}")
        .contains("placeshare_source_fetch_seconds_count{result=\"failed\",source=\"council-asc\"}")
        .contains("placeshare_audit_batch_events_count")
        .contains("placeshare_policy_reloads_total")
        .contains("jvm_memory_used_bytes")
        .doesNotContain(person)
        .doesNotContain(council);
  }

  @Test
  void metadata_describesTheFhirView_andOpenApiTheRest_everyPathOfWhichIsServed() throws Exception {
    HttpResponse<String> capability = fixture.get("/fhir/metadata");
    var cs =
        org.placeshare.fhir.Fhir.json()
            .parseResource(org.hl7.fhir.r4.model.CapabilityStatement.class, capability.body());
    assertThat(cs.getRestFirstRep().getResourceFirstRep().getOperation())
        .extracting(o -> o.getName())
        .containsExactly("everything", "household", "data-quality", "match", "export");
    assertThat(cs.getRestFirstRep().getResource().get(1).getOperation())
        .extracting(o -> o.getName())
        .containsExactly("export", "summary");

    // An event (a token issued is audited) and its checkpoint, signed as one is within a second of
    // events arriving: the public note is then served (an empty log has no checkpoint to serve).
    fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    fixture.gateway.auditTree().checkpoint().await();
    String yaml = fixture.get("/openapi.yaml").body();
    var paths =
        new com.fasterxml.jackson.databind.ObjectMapper(
                new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
            .readTree(yaml)
            .get("paths");
    var http = java.net.http.HttpClient.newHttpClient();
    for (var entry :
        (Iterable<java.util.Map.Entry<String, com.fasterxml.jackson.databind.JsonNode>>)
            paths::fields) {
      String path =
          entry
              .getKey()
              .replace("{id}", "coventry-direct-care")
              .replace("{jti}", "x")
              .replace("{job}", "00000000-0000-0000-0000-000000000000")
              .replace("{file}", "Patient.ndjson")
              .replace("{nhs}", fixture.firstPerson().nhsNumber().toString())
              .replace("{eventId}", "00000000-0000-0000-0000-000000000000")
              .replace("{source}", "council-asc")
              .replace("{localId}", "C-1");
      for (var method : (Iterable<String>) entry.getValue()::fieldNames) {
        var request =
            java.net.http.HttpRequest.newBuilder(fixture.url(path))
                .method(method.toUpperCase(), java.net.http.HttpRequest.BodyPublishers.noBody())
                .build();
        HttpResponse<String> answer = http.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode())
            .as(method + " " + path + ": " + answer.body())
            .isNotEqualTo(404);
      }
    }
  }
}
