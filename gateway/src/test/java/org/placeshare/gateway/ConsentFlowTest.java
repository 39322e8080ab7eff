package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.SignedJWT;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.policy.CareRelationship;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.RelationshipKind;

/**
 * Consent end to end over HTTP: the Coventry rule (consent or emergency) refusing without consent,
 * permitting with a GP-signed token, refusing again once it is withdrawn, on this instance and on a
 * second one sharing the database; consents registered, listed, withdrawn and recorded through the
 * gateway; every step audited.
 */
class ConsentFlowTest {

  @TempDir static Path dir;
  static String database;
  static GatewayFixture fixture;
  static String clinician;
  static String ig;
  static String gp;

  @BeforeAll
  static void start() throws Exception {
    database = TestPostgres.freshDatabase();
    fixture = GatewayFixture.start(dir.resolve("one"), database);
    clinician = fixture.token(GatewayFixture.AE_CLIENT, "clinician", "TREAT");
    ig = fixture.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT");
    gp = fixture.token(GatewayFixture.GP_CLIENT, "gp", "TREAT");
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  private static NhsNumber person(int i) {
    return fixture.people.get(i).nhsNumber();
  }

  @Test
  void presentedConsent_permits_andWithdrawalRefusesItOnEveryInstance() throws Exception {
    NhsNumber person = person(0);
    String consent = fixture.gpConsent("consent-flow-1", person, "TREAT");

    HttpResponse<String> without = fixture.everything(person.toString(), clinician);
    HttpResponse<String> with =
        fixture.everything(person.toString(), clinician, "X-Consent-Token", consent);

    assertThat(without.statusCode()).isEqualTo(403);
    assertThat(with.statusCode()).as(with.body()).isEqualTo(200);
    assertThat(with.body()).contains("\"resourceType\":\"Bundle\"");

    try (GatewayFixture second =
        GatewayFixture.start(dir.resolve("two"), database, fixture.gpConsentKey, c -> c)) {
      String secondClinician = second.token(GatewayFixture.AE_CLIENT, "clinician", "TREAT");
      assertThat(
              second
                  .everything(person.toString(), secondClinician, "X-Consent-Token", consent)
                  .statusCode())
          .isEqualTo(200);

      HttpResponse<String> withdrawn =
          fixture.delete("/consents/consent-flow-1?reason=patient%20asked", ig);
      assertThat(withdrawn.statusCode()).as(withdrawn.body()).isEqualTo(200);

      HttpResponse<String> here =
          fixture.everything(person.toString(), clinician, "X-Consent-Token", consent);
      HttpResponse<String> there =
          second.everything(person.toString(), secondClinician, "X-Consent-Token", consent);
      assertThat(here.statusCode()).isEqualTo(403);
      assertThat(there.statusCode()).isEqualTo(403);
      assertThat(there.body())
          .contains("the consent token was refused")
          .doesNotContain("withdrawn");
    }
    List<Row> audit = fixture.auditFor(person);
    assertThat(audit)
        .extracting(r -> r.getString("action") + " " + r.getInteger("http_status"))
        .containsSubsequence(
            "read-person-view 403",
            "read-person-view 200",
            "read-person-view 200",
            "consent-withdraw 200",
            "read-person-view 403",
            "read-person-view 403");
    JsonObject permitted = audit.get(1).getJsonObject("detail");
    assertThat(permitted.getJsonArray("decisions").getJsonObject(0).getString("consent"))
        .isEqualTo("consent-flow-1 by Y90001");
    assertThat(audit.get(audit.size() - 1).getJsonObject("detail").getString("detail"))
        .isEqualTo("consent consent-flow-1 was withdrawn");
  }

  @Test
  void registeredConsent_appliesWithoutTheToken_untilWithdrawnByTheGp() throws Exception {
    NhsNumber person = person(1);
    fixture
        .register()
        .relate(
            person,
            new CareRelationship(OdsCode.of("Y90001"), RelationshipKind.REGISTERED_GP),
            GatewayFixture.CLOCK.instant())
        .await();
    String consent = fixture.gpConsent("consent-flow-2", person, "TREAT");

    HttpResponse<String> registered =
        fixture.post("/consents", gp, new JsonObject().put("token", consent).encode());
    HttpResponse<String> again =
        fixture.post("/consents", gp, new JsonObject().put("token", consent).encode());

    assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(fixture.everything(person.toString(), clinician).statusCode()).isEqualTo(200);

    HttpResponse<String> listed = fixture.get("/consents?patient=" + person, gp);
    assertThat(listed.statusCode()).isEqualTo(200);
    JsonArray consents = new JsonObject(listed.body()).getJsonArray("consents");
    assertThat(consents).hasSize(1);
    assertThat(consents.getJsonObject(0).getString("status")).isEqualTo("active");
    assertThat(consents.getJsonObject(0).getString("method")).isEqualTo("verbal");
    assertThat(consents.getJsonObject(0).getBoolean("standing")).isTrue();

    assertThat(fixture.delete("/consents/consent-flow-2", gp).statusCode()).isEqualTo(200);
    assertThat(fixture.everything(person.toString(), clinician).statusCode()).isEqualTo(403);
    JsonObject after =
        new JsonObject(fixture.get("/consents?patient=" + person, ig).body())
            .getJsonArray("consents")
            .getJsonObject(0);
    assertThat(after.getString("status")).isEqualTo("withdrawn");
    assertThat(after.getString("withdrawnBy")).startsWith("earlsdon-gp/");
    assertThat(
            fixture
                .post("/consents", gp, new JsonObject().put("token", consent).encode())
                .statusCode())
        .isEqualTo(409);
  }

  @Test
  void aPresentedConsent_canBeMadeStanding_andAnotherTokenUnderItsIdIsRefused() throws Exception {
    NhsNumber person = person(6);
    String consent = fixture.gpConsent("consent-flow-6", person, "TREAT");
    assertThat(
            fixture
                .everything(person.toString(), clinician, "X-Consent-Token", consent)
                .statusCode())
        .isEqualTo(200);
    // Kept when presented, but not standing: without the token, no consent applies.
    assertThat(fixture.everything(person.toString(), clinician).statusCode()).isEqualTo(403);

    HttpResponse<String> madeStanding =
        fixture.post("/consents", ig, new JsonObject().put("token", consent).encode());
    assertThat(madeStanding.statusCode()).as(madeStanding.body()).isEqualTo(200);
    assertThat(fixture.everything(person.toString(), clinician).statusCode()).isEqualTo(200);

    // A second token reusing the id, though validly signed, is not the consent registered.
    String impostor = fixture.gpConsent("consent-flow-6", person, "ETREAT");
    HttpResponse<String> registered =
        fixture.post("/consents", ig, new JsonObject().put("token", impostor).encode());
    assertThat(registered.statusCode()).isEqualTo(409);
    assertThat(registered.body()).contains("another consent already has this id");
    HttpResponse<String> presented =
        fixture.everything(person.toString(), clinician, "X-Consent-Token", impostor);
    assertThat(presented.statusCode()).isEqualTo(403);
    assertThat(presented.body()).contains("the consent token was refused");
  }

  @Test
  void consentsOfAPerson_areForTheirGpAndIgOnly() throws Exception {
    String council = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    NhsNumber person = person(2);

    assertThat(fixture.get("/consents?patient=" + person, council).statusCode()).isEqualTo(403);
    assertThat(fixture.get("/consents?patient=" + person, gp).statusCode()).isEqualTo(403);
    assertThat(fixture.get("/consents?patient=" + person, ig).statusCode()).isEqualTo(200);
    assertThat(fixture.get("/consents?patient=12345", ig).statusCode()).isEqualTo(400);
    assertThat(fixture.delete("/consents/no-such-consent", ig).statusCode()).isEqualTo(404);
    assertThat(
            fixture
                .post(
                    "/consents",
                    council,
                    new JsonObject()
                        .put("token", fixture.gpConsent("consent-flow-3", person, "TREAT"))
                        .encode())
                .statusCode())
        .isEqualTo(403);
  }

  @Test
  void consentRecordedThroughTheGateway_isSignedWithItsPublishedKey_andPermits() throws Exception {
    NhsNumber person = person(3);
    JsonObject request =
        new JsonObject()
            .put("patient", person.toString())
            .put("recipients", new JsonArray().add("R9A"))
            .put("purposes", new JsonArray().add("TREAT"))
            .put("method", "written")
            .put("expires", GatewayFixture.CLOCK.instant().plusSeconds(86_400).toString());

    // The acute trust records through the gateway; the council may not.
    String council = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    assertThat(fixture.post("/consents/issue", council, request.encode()).statusCode())
        .isEqualTo(403);
    // Recorded by the trust's consent recorder, a role its client is registered for.
    String recorder =
        fixture.token(GatewayFixture.AE_CLIENT, "reception-1", "consent-recorder", "TREAT");
    HttpResponse<String> issued = fixture.post("/consents/issue", recorder, request.encode());

    assertThat(issued.statusCode()).as(issued.body()).isEqualTo(201);
    String token = new JsonObject(issued.body()).getString("token");
    SignedJWT jwt = SignedJWT.parse(token);
    assertThat(jwt.getHeader().getType().getType()).isEqualTo("consent+jwt");
    assertThat(jwt.getJWTClaimsSet().getIssuer()).isEqualTo("R9A");
    JsonArray published =
        new JsonObject(fixture.get("/.well-known/jwks.json").body()).getJsonArray("keys");
    assertThat(published.stream().map(k -> ((JsonObject) k).getString("kid")))
        .contains(jwt.getHeader().getKeyID());
    // Recorded as standing: it applies without being presented.
    assertThat(fixture.everything(person.toString(), clinician).statusCode()).isEqualTo(200);
    assertThat(
            fixture
                .post("/consents/issue", recorder, request.copy().put("method", "psychic").encode())
                .statusCode())
        .isEqualTo(400);
  }

  @Test
  void emergency_isReleasedWithAReasonAndFlaggedForReview() throws Exception {
    NhsNumber person = person(4);
    String emergency = fixture.token(GatewayFixture.AE_CLIENT, "clinician", "ETREAT");

    HttpResponse<String> r =
        fixture.everything(
            person.toString(), emergency, "X-Emergency-Reason", "unconscious, no next of kin");

    assertThat(r.statusCode()).isEqualTo(200);
    Row event = fixture.auditFor(person).get(0);
    assertThat(event.getBoolean("emergency")).isTrue();
    assertThat(event.getJsonObject("detail").getString("emergencyReason"))
        .isEqualTo("unconscious, no next of kin");
    assertThat(
            event
                .getJsonObject("detail")
                .getJsonArray("decisions")
                .getJsonObject(0)
                .getBoolean("reviewRequired"))
        .isTrue();
  }
}
