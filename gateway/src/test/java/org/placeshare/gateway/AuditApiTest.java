package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Bundle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.Fhir;

/** The IG lead's audit API over HTTP: search, CSV, FHIR, accesses, reviews, alerts. */
class AuditApiTest {

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static String ig;
  static String council;
  static String emergencyEventId;
  static String person;

  @BeforeAll
  static void start() throws Exception {
    fixture = GatewayFixture.start(dir, TestPostgres.freshDatabase());
    // Another user than the clinician whose break-glass access the IG lead reviews.
    ig = fixture.token(GatewayFixture.IG_CLIENT, "ig.lead", "ig-lead", "HOPERAT");
    council = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    person = fixture.firstPerson().nhsNumber().toString();
    String clinician = fixture.token(GatewayFixture.AE_CLIENT, "clinician", "ETREAT");
    String treat = fixture.token(GatewayFixture.AE_CLIENT, "clinician", "TREAT");
    fixture.everything(person, council);
    fixture.everything(person, clinician, "X-Emergency-Reason", "=HYPERLINK(\"http://x\")");
    for (int i = 0; i < 5; i++) {
      fixture.everything(person, treat); // refused: no consent, no emergency
    }
    JsonArray emergency = events("?emergency=true&patient=" + person).getJsonArray("events");
    emergencyEventId = emergency.getJsonObject(0).getString("eventId");
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  private static JsonObject events(String query) throws Exception {
    HttpResponse<String> r = fixture.get("/audit/events" + query, ig);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  @Test
  void search_filtersByPersonOutcomeAgreementAndEmergency() throws Exception {
    JsonArray refused = events("?patient=" + person + "&decision=refused").getJsonArray("events");
    JsonArray council = events("?agreement=gm-connect-council-intelligence").getJsonArray("events");

    assertThat(refused).hasSize(5);
    assertThat(refused.getJsonObject(0).getString("user")).isEqualTo("user-1");
    assertThat(council).isNotEmpty();
    assertThat(council.getJsonObject(0).getString("organisation")).isEqualTo("E08000026");
  }

  @Test
  void search_pagesByCursor_newestFirst() throws Exception {
    JsonObject first = events("?patient=" + person + "&limit=2");
    JsonObject second = events("?patient=" + person + "&limit=2&before=" + first.getLong("next"));

    long a = first.getJsonArray("events").getJsonObject(0).getLong("index");
    long b = first.getJsonArray("events").getJsonObject(1).getLong("index");
    long c = second.getJsonArray("events").getJsonObject(0).getLong("index");
    assertThat(a).isGreaterThan(b);
    assertThat(b).isGreaterThan(c);
  }

  @Test
  void search_hostileOrInvalidFilters_areRefusedWithAClearMessage() throws Exception {
    assertThat(fixture.get("/audit/events?user=%3Cscript%3E", ig).body())
        .contains("user: expected 1 to 128 letters");
    assertThat(fixture.get("/audit/events?user=x'%20OR%201=1--", ig).statusCode()).isEqualTo(400);
    assertThat(fixture.get("/audit/events?patient=1234567890", ig).statusCode()).isEqualTo(400);
    assertThat(fixture.get("/audit/events?limit=100000", ig).statusCode()).isEqualTo(400);
    assertThat(fixture.get("/audit/events", council).statusCode()).isEqualTo(403);
  }

  @Test
  void csv_hasEveryColumn_andDefusesFormulas() throws Exception {
    HttpResponse<String> r = fixture.get("/audit/events?format=csv&emergency=true", ig);

    assertThat(r.headers().firstValue("Content-Type")).hasValue("text/csv; charset=utf-8");
    String[] lines = r.body().split("\r\n");
    assertThat(lines[0]).startsWith("index,recordedAt,action,outcome,httpStatus,nhsNumber");
    assertThat(lines[1])
        .contains("\"'=HYPERLINK(\"\"http://x\"\")\"")
        .contains("coventry-direct-care@1");
  }

  @Test
  void fhir_exportsAuditEventsInTheBalpShape() throws Exception {
    HttpResponse<String> r = fixture.get("/audit/events?format=fhir&patient=" + person, ig);

    Bundle bundle = Fhir.json().parseResource(Bundle.class, r.body());
    // Newest first: the council's release is a BALP PatientRead and a PrivacyDisclosure.Source.
    List<AuditEvent> events =
        bundle.getEntry().stream().map(e -> (AuditEvent) e.getResource()).toList();
    assertThat(events)
        .flatExtracting(e -> e.getMeta().getProfile().stream().map(p -> p.getValue()).toList())
        .contains(
            "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientRead",
            "https://profiles.ihe.net/ITI/BALP/StructureDefinition/"
                + "IHE.BasicAudit.PrivacyDisclosure.Source");
    AuditEvent read =
        events.stream()
            .filter(e -> e.getType().getCode().equals("rest"))
            .filter(e -> e.getOutcome() == AuditEvent.AuditEventOutcome._0)
            .findFirst()
            .orElseThrow();
    assertThat(read.getEntity())
        .anySatisfy(x -> assertThat(x.getWhat().getIdentifier().getValue()).isEqualTo(person));
    assertThat(read.getAgentFirstRep().getRequestor()).isTrue();
    assertThat(read.getAgentFirstRep().getPolicy()).isNotEmpty();
    // The refusals are authorization decisions (deny), with their reasons.
    assertThat(events)
        .anySatisfy(
            e -> {
              assertThat(e.getType().getCode()).isEqualTo("110113");
              assertThat(e.getOutcome()).isEqualTo(AuditEvent.AuditEventOutcome._4);
            });
  }

  @Test
  void accesses_sayWhoSawThePersonsRecords_underWhichAgreement() throws Exception {
    HttpResponse<String> r = fixture.get("/audit/patients/" + person + "/accesses", ig);

    JsonArray accesses = new JsonObject(r.body()).getJsonArray("accesses");
    assertThat(accesses).hasSize(2);
    JsonObject council =
        accesses.stream()
            .map(JsonObject.class::cast)
            .filter(a -> "E08000026".equals(a.getString("organisation")))
            .findFirst()
            .orElseThrow();
    assertThat(council.getString("purpose")).isEqualTo("HOPERAT");
    assertThat(council.getJsonArray("agreements").getString(0))
        .isEqualTo("gm-connect-council-intelligence@1");
    assertThat(council.getJsonArray("dataCategories")).contains("Condition", "Patient");
  }

  @Test
  void review_takesABreakGlassEventOffTheQueue_asItsOwnEvent_once() throws Exception {
    assertThat(fixture.get("/audit/reviews", ig).body()).contains(emergencyEventId);

    HttpResponse<String> reviewed =
        fixture.post(
            "/audit/reviews/" + emergencyEventId,
            ig,
            new JsonObject()
                .put("outcome", "appropriate")
                .put("comment", "collapsed in A&E")
                .encode());
    HttpResponse<String> again =
        fixture.post(
            "/audit/reviews/" + emergencyEventId,
            ig,
            new JsonObject().put("outcome", "appropriate").put("comment", "twice").encode());

    assertThat(reviewed.statusCode()).as(reviewed.body()).isEqualTo(201);
    assertThat(again.statusCode()).isEqualTo(409);
    assertThat(fixture.get("/audit/reviews", ig).body()).doesNotContain(emergencyEventId);
    JsonArray reviews = events("?decision=permitted&limit=500").getJsonArray("events");
    assertThat(
            reviews.stream()
                .map(JsonObject.class::cast)
                .filter(e -> e.getString("action").equals("emergency-review"))
                .map(e -> e.getJsonObject("detail").getString("detail")))
        .containsExactly(
            "review of break-glass event " + emergencyEventId + ": appropriate; collapsed in A&E");
    assertThat(
            fixture
                .post(
                    "/audit/reviews/00000000-0000-0000-0000-000000000000",
                    ig,
                    new JsonObject().put("outcome", "appropriate").put("comment", "x").encode())
                .statusCode())
        .isEqualTo(404);
  }

  @Test
  void alerts_listRepeatedRefusals_withTheEventsBehindThem() throws Exception {
    JsonArray alerts =
        new JsonObject(fixture.get("/audit/alerts", ig).body()).getJsonArray("alerts");

    JsonObject refusals =
        alerts.stream()
            .map(JsonObject.class::cast)
            .filter(a -> a.getString("kind").equals("repeated-refusals"))
            .findFirst()
            .orElseThrow();
    assertThat(refusals.getString("who")).startsWith("user-1 (coventry-ae, R9A)");
    assertThat(refusals.getJsonArray("events")).hasSize(5);
  }

  @Test
  void everyRead_isItselfAudited() throws Exception {
    int before = events("?patient=" + person + "&limit=500").getJsonArray("events").size();
    fixture.get("/audit/patients/" + person + "/accesses", ig);

    int after = events("?patient=" + person + "&limit=500").getJsonArray("events").size();
    assertThat(after).isGreaterThanOrEqualTo(before + 2);
  }

  @Test
  void retention_redactsOnlyEventsPastIt_keepingTheTreeVerifiable() throws Exception {
    var pool = fixture.gateway.database().pool();
    var old =
        new org.placeshare.gateway.audit.AuditEvent(
            java.util.UUID.randomUUID(),
            java.time.Instant.parse("2010-03-01T09:00:00Z"),
            "old-request",
            "read-person-view",
            org.placeshare.gateway.audit.AuditEvent.Outcome.PERMITTED,
            200,
            java.util.Optional.of(fixture.people.get(3).nhsNumber()),
            java.util.Optional.empty(),
            java.util.Optional.empty(),
            java.util.Optional.empty(),
            java.util.List.of(),
            java.util.Map.of(),
            java.util.List.of(),
            "an event from long ago",
            12);
    long index = new org.placeshare.gateway.audit.AuditLog(pool).append(old).await();
    fixture.gateway.auditTree().checkpoint().await();

    JsonObject dry =
        new JsonObject(
            fixture
                .post("/audit/retention", ig, new JsonObject().put("apply", false).encode())
                .body());
    JsonObject applied =
        new JsonObject(
            fixture
                .post("/audit/retention", ig, new JsonObject().put("apply", true).encode())
                .body());

    assertThat(dry.getJsonArray("events").getList()).containsExactly((int) index);
    assertThat(applied.getBoolean("applied")).isTrue();
    var row =
        pool.preparedQuery(
                "SELECT nhs_number, detail, redacted_at FROM audit_event WHERE leaf_index = $1")
            .execute(io.vertx.sqlclient.Tuple.of(index))
            .await()
            .iterator()
            .next();
    assertThat(row.getString("nhs_number")).isNull();
    assertThat(row.getJsonObject("detail").encode()).isEqualTo("{\"redacted\":true}");
    var contents = org.placeshare.gateway.audit.AuditExport.read(pool).await();
    var report =
        org.placeshare.gateway.audit.AuditVerifier.verify(
            contents.leaves().iterator(),
            contents.checkpoints(),
            org.placeshare.policy.identity.SigningKey.readPublicPem(dir.resolve("audit.pub.pem")));
    assertThat(report.intact()).as(report.summary()).isTrue();
    // The operation is itself audited, saying what it did.
    assertThat(
            events("?decision=permitted&limit=50").getJsonArray("events").stream()
                .map(JsonObject.class::cast)
                .filter(e -> e.getString("action").equals("audit-retention"))
                .map(e -> e.getJsonObject("detail").getString("detail")))
        .contains(
            "retention checked: 1 events past retention, log indices " + index + " to " + index,
            "retention applied: 1 events past retention redacted, log indices "
                + index
                + " to "
                + index);
    assertThat(fixture.post("/audit/retention", ig, "{\"apply\":\"yes\"}").statusCode())
        .isEqualTo(400);
  }
}
