package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.gateway.register.PatientRegister;
import org.placeshare.policy.NhsNumber;

/** The agreements API, the what-if evaluation and the registers' effect on live decisions. */
class PolicyEndpointsTest {

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static String ig;
  static String council;

  @BeforeAll
  static void start() throws Exception {
    fixture = GatewayFixture.start(dir, TestPostgres.freshDatabase());
    ig = fixture.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT");
    council = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  private static String nhs(int i) {
    return fixture.people.get(i).nhsNumber().toString();
  }

  private static List<Row> audit(String action) {
    return fixture
        .gateway
        .database()
        .pool()
        .preparedQuery("SELECT * FROM audit_event WHERE action = $1 ORDER BY seq")
        .execute(io.vertx.sqlclient.Tuple.of(action))
        .await()
        .stream()
        .toList();
  }

  @Test
  void agreements_listsEachWithStatusAndDates() throws Exception {
    HttpResponse<String> r = fixture.get("/agreements", council);

    assertThat(r.statusCode()).isEqualTo(200);
    JsonArray list = new JsonObject(r.body()).getJsonArray("agreements");
    assertThat(list).hasSize(2);
    JsonObject council = list.getJsonObject(1);
    assertThat(council.getString("reference")).isEqualTo("gm-connect-council-intelligence@1");
    assertThat(council.getString("status")).isEqualTo("pilot");
    assertThat(council.getBoolean("inForce")).isTrue();
    assertThat(council.getString("review")).isEqualTo("2027-03-31");
    assertThat(council.getString("sha256")).hasSize(64);
  }

  @Test
  void agreement_detailShowsTermsButNeverTheCohort() throws Exception {
    HttpResponse<String> r = fixture.get("/agreements/gm-connect-council-intelligence", council);

    JsonObject a = new JsonObject(r.body());
    assertThat(a.getJsonObject("lawfulBasis").getString("article9")).isEqualTo("9(2)(h)");
    assertThat(
            a.getJsonObject("obligations")
                .getJsonObject("generalise")
                .getString("Patient.birthDate"))
        .isEqualTo("year");
    assertThat(a.getJsonObject("pilot").getInteger("dailyVolume")).isEqualTo(200);
    assertThat(a.getJsonObject("pilot").getInteger("cohortSize")).isZero();
    assertThat(a.getString("nationalOptOut")).isEqualTo("applied");
  }

  @Test
  void agreement_unknownId_is404AndWithoutTokenIs401() throws Exception {
    assertThat(fixture.get("/agreements/nope", council).statusCode()).isEqualTo(404);
    assertThat(fixture.get("/agreements").statusCode()).isEqualTo(401);
  }

  @Test
  void evaluate_emergencyWhatIf_permitsPerProviderAndIsAudited() throws Exception {
    String body =
        new JsonObject()
            .put("patient", nhs(1))
            .put("recipient", "R9A")
            .put("role", "clinician")
            .put("purpose", "ETREAT")
            .put("emergencyReason", "collapsed")
            .encode();

    HttpResponse<String> r = fixture.post("/policy/evaluate", ig, body);

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonArray decisions = new JsonObject(r.body()).getJsonArray("decisions");
    assertThat(decisions).hasSize(3);
    JsonObject gp = decisions.getJsonObject(0);
    assertThat(gp.getString("provider")).isEqualTo("Y90001");
    assertThat(gp.getString("effect")).isEqualTo("permit");
    assertThat(gp.getString("agreement")).isEqualTo("coventry-direct-care@1");
    assertThat(gp.getBoolean("reviewRequired")).isTrue();
    assertThat(decisions.getJsonObject(2).getJsonArray("refusals")).containsExactly("no_agreement");
    List<Row> events = audit("policy-evaluate");
    assertThat(events).isNotEmpty();
    Row last = events.get(events.size() - 1);
    assertThat(last.getString("outcome")).isEqualTo("evaluated");
    assertThat(last.getString("nhs_number")).isEqualTo(nhs(1));
    assertThat(last.getString("user_role")).isEqualTo("ig-lead");
  }

  @Test
  void evaluate_statedFactsAndConsent_areUsedInsteadOfTheRegister() throws Exception {
    String body =
        new JsonObject()
            .put("patient", nhs(1))
            .put("recipient", "R9A")
            .put("role", "clinician")
            .put("purpose", "TREAT")
            .put("provider", "Y90001")
            .put(
                "consent",
                new JsonObject()
                    .put("issuer", "Y90001")
                    .put("recipients", new JsonArray().add("R9A"))
                    .put("purposes", new JsonArray().add("COC"))
                    .put("notBefore", "2026-01-01T00:00:00Z")
                    .put("expires", "2027-01-01T00:00:00Z"))
            .encode();

    JsonObject d =
        new JsonObject(fixture.post("/policy/evaluate", ig, body).body())
            .getJsonArray("decisions")
            .getJsonObject(0);

    assertThat(d.getString("effect")).isEqualTo("deny");
    assertThat(d.getJsonArray("reasons"))
        .containsExactly("coventry-direct-care@1: consent what-if does not cover purpose TREAT");
  }

  @Test
  void evaluate_notAnIgLead_is403AndAudited() throws Exception {
    String body = new JsonObject().put("patient", nhs(1)).encode();

    HttpResponse<String> r = fixture.post("/policy/evaluate", council, body);

    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body()).contains("this endpoint is for information governance leads");
    assertThat(audit("policy-admin"))
        .anySatisfy(row -> assertThat(row.getInteger("http_status")).isEqualTo(403));
  }

  @Test
  void evaluate_badInput_isAPrecise400() throws Exception {
    assertThat(fixture.post("/policy/evaluate", ig, "{not json").body())
        .contains("expected a JSON object");
    assertThat(
            fixture
                .post(
                    "/policy/evaluate", ig, new JsonObject().put("patient", "9990000000").encode())
                .body())
        .contains("patient: ");
    HttpResponse<String> unknown =
        fixture.post(
            "/policy/evaluate",
            ig,
            new JsonObject().put("patient", nhs(1)).put("recipent", "R9A").encode());
    assertThat(unknown.statusCode()).isEqualTo(400);
    assertThat(unknown.body()).contains("recipent: unknown key");
    assertThat(
            fixture
                .post(
                    "/policy/evaluate",
                    ig,
                    new JsonObject()
                        .put("patient", nhs(1))
                        .put("recipient", "R9A")
                        .put("role", "clinician")
                        .put("purpose", "lower")
                        .encode())
                .statusCode())
        .isEqualTo(400);
  }

  @Test
  void everything_optedOutPersonForPlanning_looksLikeNobodyButIsAuditedWithTheReason()
      throws Exception {
    NhsNumber person = fixture.people.get(2).nhsNumber();
    fixture
        .register()
        .upsert(
            List.of(new PatientRegister.Entry(person, true, false, Optional.empty())),
            GatewayFixture.CLOCK.instant())
        .await();

    // The council's own source answers for its own records even for a flagged person, so both
    // requests below ask it: first let its circuit breaker open, so both see the same state.
    for (int i = 0;
        i < 10
            && !fixture.everything(nobody(), council).body().contains("is not being asked for now");
        i++) {}
    HttpResponse<String> r = fixture.everything(person.toString(), council);
    HttpResponse<String> nobody = fixture.everything(nobody(), council);

    // The council's own source is down: a lookup of anyone not held answers 502, so must this.
    assertThat(nobody.statusCode()).isEqualTo(502);
    assertThat(r.statusCode()).isEqualTo(nobody.statusCode());
    assertThat(r.body()).isEqualTo(nobody.body());
    assertThat(r.headers().map().keySet()).isEqualTo(nobody.headers().map().keySet());
    Row event =
        fixture
            .gateway
            .database()
            .pool()
            .preparedQuery(
                "SELECT outcome, http_status, detail FROM audit_event WHERE nhs_number = $1"
                    + " ORDER BY seq DESC LIMIT 1")
            .execute(io.vertx.sqlclient.Tuple.of(person.toString()))
            .await()
            .iterator()
            .next();
    assertThat(event.getString("outcome")).isEqualTo("refused");
    assertThat(event.getInteger("http_status")).isEqualTo(nobody.statusCode());
    JsonArray decisions = event.getJsonObject("detail").getJsonArray("decisions");
    assertThat(decisions.getJsonObject(0).getJsonArray("refusals"))
        .containsExactly("national_opt_out");
    assertThat(decisions.getJsonObject(0).getJsonArray("considered").getString(0))
        .startsWith("gm-connect-council-intelligence@1#");
  }

  @Test
  void everything_restrictedPerson_isRefusedToTheCouncilButNotToEmergencyCare() throws Exception {
    NhsNumber person = fixture.people.get(3).nhsNumber();
    fixture
        .register()
        .upsert(
            List.of(new PatientRegister.Entry(person, false, true, Optional.empty())),
            GatewayFixture.CLOCK.instant())
        .await();
    String clinician = fixture.token(GatewayFixture.AE_CLIENT, "clinician", "ETREAT");

    HttpResponse<String> refused = fixture.everything(person.toString(), council);
    HttpResponse<String> nobody = fixture.everything(nobody(), council);
    assertThat(refused.statusCode()).isEqualTo(nobody.statusCode());
    assertThat(refused.body()).isEqualTo(nobody.body());
    assertThat(
            fixture
                .everything(person.toString(), clinician, "X-Emergency-Reason", "unconscious")
                .statusCode())
        .isEqualTo(200);
  }

  @Test
  void everything_flaggedPersonRefusedAnywayForAnotherReason_getsThatRefusalAsAnyoneWould()
      throws Exception {
    NhsNumber person = fixture.people.get(7).nhsNumber();
    fixture
        .register()
        .upsert(
            List.of(new PatientRegister.Entry(person, false, true, Optional.empty())),
            GatewayFixture.CLOCK.instant())
        .await();
    // A clinician with neither consent nor emergency is refused for anyone: the flag changes
    // nothing, so hiding it would itself give it away.
    String clinician = fixture.token(GatewayFixture.AE_CLIENT, "clinician", "TREAT");

    HttpResponse<String> flagged = fixture.everything(person.toString(), clinician);
    HttpResponse<String> unflagged =
        fixture.everything(fixture.people.get(8).nhsNumber().toString(), clinician);

    assertThat(flagged.statusCode()).isEqualTo(403).isEqualTo(unflagged.statusCode());
    assertThat(flagged.body()).isEqualTo(unflagged.body());
  }

  /** A valid NHS number in the test range that no source holds. */
  private static String nobody() {
    return NhsNumber.withCheckDigit("999777123").orElseThrow().toString();
  }

  @Test
  void everything_underPilot_countsEachReleaseInTheDatabase() throws Exception {
    fixture.everything(nhs(4), council);
    fixture.everything(nhs(5), council);

    Row usage =
        fixture
            .gateway
            .database()
            .pool()
            .query(
                "SELECT released FROM pilot_usage WHERE agreement_id = 'gm-connect-council-intelligence'")
            .execute()
            .await()
            .iterator()
            .next();
    assertThat(usage.getInteger("released")).isGreaterThanOrEqualTo(2);
  }
}
