package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.Fhir;

/**
 * {@code POST /consents/issue} with what a consent token cannot carry: a precise 400, never a 500
 * from the gateway failing to verify the token it has just signed.
 */
class ConsentIssueInputTest {

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static String recorder;

  @BeforeAll
  static void start() throws Exception {
    fixture = GatewayFixture.start(dir, TestPostgres.freshDatabase());
    recorder = fixture.token(GatewayFixture.AE_CLIENT, "reception-1", "consent-recorder", "TREAT");
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  private static JsonObject request() {
    return new JsonObject()
        .put("patient", fixture.people.get(5).nhsNumber().toString())
        .put("recipients", new JsonArray().add("R9A"))
        .put("purposes", new JsonArray().add("TREAT"))
        .put("method", "written")
        .put("expires", GatewayFixture.CLOCK.instant().plusSeconds(86_400).toString());
  }

  @Test
  void issue_recordedByANameNotAUserId_is400SayingSo() throws Exception {
    HttpResponse<String> r =
        fixture.post(
            "/consents/issue", recorder, request().put("recordedBy", "Dr Jane Example").encode());

    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(diagnostics(r)).startsWith("recordedBy: expected a user id");
  }

  @Test
  void issue_scopeNotAResourceType_is400SayingSo() throws Exception {
    HttpResponse<String> r =
        fixture.post(
            "/consents/issue",
            recorder,
            request().put("scopes", new JsonArray().add("Condition").add("HIV")).encode());

    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(diagnostics(r)).isEqualTo("scopes: expected FHIR R4 resource types or *, got HIV");
  }

  @Test
  void issue_validRecordedByAndScopes_isStillIssued() throws Exception {
    HttpResponse<String> r =
        fixture.post(
            "/consents/issue",
            recorder,
            request()
                .put("recordedBy", "reception-7@R9A")
                .put("scopes", new JsonArray().add("Encounter"))
                .encode());

    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
  }

  private static String diagnostics(HttpResponse<String> r) {
    return Fhir.json()
        .parseResource(OperationOutcome.class, r.body())
        .getIssueFirstRep()
        .getDiagnostics();
  }
}
