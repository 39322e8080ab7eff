package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.Fhir;
import org.placeshare.fhir.synthetic.SyntheticPopulation;
import org.placeshare.policy.identity.SigningKey;

/** The whole request path over HTTP: token, NHS number, decision, fetch, audit, response. */
class GatewayEndToEndTest {

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static Pool db;

  @BeforeAll
  static void start() throws Exception {
    String url = TestPostgres.freshDatabase();
    fixture = GatewayFixture.start(dir, url);
    db = PgBuilder.pool().connectingTo(PgConnectOptions.fromUri(url)).using(fixture.vertx).build();
  }

  @AfterAll
  static void stop() throws Exception {
    if (db != null) {
      db.close().await();
    }
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void everything_councilIntelligenceUnderItsAgreement_returnsTheBundleAndAuditsIt()
      throws Exception {
    String nhs = fixture.firstPerson().nhsNumber().toString();
    String token = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");

    HttpResponse<String> response = fixture.everything(nhs, token);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValueSatisfying(ct -> assertThat(ct).startsWith(Fhir.JSON));
    assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-store");
    Bundle bundle = Fhir.json().parseResource(Bundle.class, response.body());
    List<String> types = new ArrayList<>();
    bundle.getEntry().forEach(e -> types.add(e.getResource().fhirType()));
    assertThat(types).contains("Patient", "Condition", "Encounter");
    // Minimum necessary: the agreement leaves medication and allergies out.
    assertThat(types).doesNotContain("MedicationStatement", "AllergyIntolerance");
    assertThat(types.stream().filter("Patient"::equals)).hasSize(1);
    Patient patient = (Patient) bundle.getEntry().get(0).getResource();
    // The agreement's obligations: birth date to the year, postcode to the district, labelled R.
    assertThat(patient.getBirthDateElement().getValueAsString())
        .isEqualTo(String.valueOf(fixture.firstPerson().birthDate().getYear()));
    assertThat(patient.getAddressFirstRep().getPostalCode())
        .isEqualTo(fixture.firstPerson().postcode().split(" ")[0]);
    assertThat(patient.getMeta().getSecurityFirstRep().getCode()).isEqualTo("R");
    assertThat(patient.getIdentifierFirstRep().getValue()).isEqualTo(nhs);
    // The council source is down: the view says so instead of failing.
    OperationOutcome outcome =
        bundle.getEntry().stream()
            .map(Bundle.BundleEntryComponent::getResource)
            .filter(OperationOutcome.class::isInstance)
            .map(OperationOutcome.class::cast)
            .findFirst()
            .orElseThrow();
    assertThat(outcome.getIssueFirstRep().getDiagnostics())
        .startsWith("source council-asc (E08000026) could not be reached");

    Row audit = auditOf(response);
    assertThat(audit.getString("outcome")).isEqualTo("permitted");
    assertThat(audit.getInteger("http_status")).isEqualTo(200);
    assertThat(audit.getString("nhs_number")).isEqualTo(nhs);
    assertThat(audit.getString("organisation")).isEqualTo("E08000026");
    assertThat(audit.getString("purpose")).isEqualTo("HOPERAT");
    JsonObject detail = (JsonObject) audit.getValue("detail");
    assertThat(detail.getInteger("releasedCount")).isEqualTo(bundle.getTotal()).isGreaterThan(2);
    JsonArray decisions = detail.getJsonArray("decisions");
    assertThat(decisions).hasSize(3);
    assertThat(decisions.getJsonObject(0).getString("agreement"))
        .isEqualTo("gm-connect-council-intelligence@1");
    assertThat(decisions.getJsonObject(0).getString("agreementSha256")).hasSize(64);
    assertThat(detail.encode())
        .doesNotContain("Type 2 diabetes")
        .doesNotContain(fixture.firstPerson().family());
  }

  @Test
  void everything_directCareWithoutConsentOrEmergency_is403AndAuditedWithTheReasons()
      throws Exception {
    String token = fixture.token(GatewayFixture.AE_CLIENT, "clinician", "TREAT");

    HttpResponse<String> response =
        fixture.everything(fixture.firstPerson().nhsNumber().toString(), token);

    assertOutcome(response, 403, "forbidden", "no data-sharing agreement permits this request");
    Row audit = auditOf(response);
    assertThat(audit.getString("outcome")).isEqualTo("refused");
    assertThat(((JsonObject) audit.getValue("detail")).getString("detail"))
        .contains("coventry-direct-care@1: consent is required and none was presented");
  }

  @Test
  void everything_emergencyWithReason_isPermittedAndFlaggedForReview() throws Exception {
    String token = fixture.token(GatewayFixture.AE_CLIENT, "clinician", "ETREAT");

    HttpResponse<String> response =
        fixture.everything(
            fixture.firstPerson().nhsNumber().toString(),
            token,
            "X-Emergency-Reason",
            "Unconscious on arrival");

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    Bundle bundle = Fhir.json().parseResource(Bundle.class, response.body());
    assertThat(bundle.getEntry())
        .extracting(e -> e.getResource().fhirType())
        .contains("MedicationStatement", "AllergyIntolerance");
    Row audit = auditOf(response);
    assertThat(audit.getBoolean("emergency")).isTrue();
    assertThat(((JsonObject) audit.getValue("detail")).getString("emergencyReason"))
        .isEqualTo("Unconscious on arrival");
  }

  @Test
  void everything_invalidNhsNumber_is400AndAudited() throws Exception {
    String token = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");

    HttpResponse<String> response = fixture.everything("9434765918", token);

    assertOutcome(response, 400, "value", "NHS number is not valid: check digit does not match");
    Row audit = auditOf(response);
    assertThat(audit.getString("outcome")).isEqualTo("failed");
    assertThat(audit.getInteger("http_status")).isEqualTo(400);
    assertThat(audit.getString("organisation")).isEqualTo("E08000026");
    assertThat(audit.getString("nhs_number")).isNull();
  }

  @Test
  void everything_personInNoPermittedSource_is404() throws Exception {
    // Direct care in an emergency reaches the GP and the acute trust, both up.
    String token = fixture.token(GatewayFixture.AE_CLIENT, "clinician", "ETREAT");

    HttpResponse<String> response =
        fixture.everything(unknownPerson(), token, "X-Emergency-Reason", "Collapsed in street");

    assertOutcome(response, 404, "not-found", "no permitted source holds this person");
    assertThat(auditOf(response).getString("outcome")).isEqualTo("failed");
  }

  @Test
  void everything_notFoundWhereReadableButASourceIsDown_is502NotA404() throws Exception {
    // The council source is down and the other two answer "not held": "not found" cannot be
    // claimed for a source that did not answer, and "could not be read" is not true of the others.
    String token = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");

    HttpResponse<String> response = fixture.everything(unknownPerson(), token);

    assertOutcome(
        response,
        502,
        "transient",
        "no permitted source that answered holds this person, and some could not be read:"
            + " council-asc: could not be reached (connection refused)");
    assertThat(auditOf(response).getString("outcome")).isEqualTo("failed");
  }

  /** A valid 999-range number that none of the fixture's sources holds. */
  private static String unknownPerson() {
    return SyntheticPopulation.generate(fixture.people.size() + 1, 42)
        .get(fixture.people.size())
        .nhsNumber()
        .toString();
  }

  @Test
  void everything_withoutToken_is401() throws Exception {
    HttpResponse<String> response =
        fixture.everything(fixture.firstPerson().nhsNumber().toString(), null);

    assertOutcome(response, 401, "login", "a bearer access token is required");
    assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
    assertThat(auditOf(response).getString("outcome")).isEqualTo("refused");
  }

  @Test
  void everything_forgedToken_is401AndAudited() throws Exception {
    // A well-formed access token with every right claim, signed by a key that is not the gateway's.
    String genuine = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    String[] parts = genuine.split("\\.");
    String otherSignature =
        fixture.token(GatewayFixture.AE_CLIENT, "clinician", "TREAT").split("\\.")[2];
    String forged = parts[0] + "." + parts[1] + "." + otherSignature;

    HttpResponse<String> response =
        fixture.everything(fixture.firstPerson().nhsNumber().toString(), forged);

    assertOutcome(response, 401, "login", "the access token was refused");
    assertThat(response.headers().firstValue("WWW-Authenticate"))
        .hasValue("Bearer error=\"invalid_token\"");
    Row audit = auditOf(response);
    assertThat(audit.getString("organisation")).isNull();
    assertThat(((JsonObject) audit.getValue("detail")).getString("detail"))
        .contains("Invalid signature");
  }

  @Test
  void everything_tokenSignedWithAClientKey_is401() throws Exception {
    // An attacker who holds a client key mints their own "access token": wrong key, refused.
    String selfMade =
        fixture.assertion(
            GatewayFixture.COUNCIL_CLIENT,
            fixture.clientKeys.get(GatewayFixture.COUNCIL_CLIENT),
            "analyst",
            "HOPERAT");

    HttpResponse<String> response =
        fixture.everything(fixture.firstPerson().nhsNumber().toString(), selfMade);

    assertOutcome(response, 401, "login", "the access token was refused");
  }

  @Test
  void token_assertionSignedWithAnotherKey_isInvalidClient() throws Exception {
    HttpResponse<String> response =
        fixture.tokenRequest(
            fixture.assertion(
                GatewayFixture.COUNCIL_CLIENT, SigningKey.generate(), "analyst", "HOPERAT"));

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(new JsonObject(response.body()).getString("error")).isEqualTo("invalid_client");
  }

  @Test
  void token_purposeNotRegisteredForTheClient_isInvalidClient() throws Exception {
    HttpResponse<String> response =
        fixture.tokenRequest(
            fixture.assertion(
                GatewayFixture.COUNCIL_CLIENT,
                fixture.clientKeys.get(GatewayFixture.COUNCIL_CLIENT),
                "analyst",
                "TREAT"));

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(new JsonObject(response.body()).getString("error_description"))
        .isEqualTo("client assertion refused: purpose TREAT is not registered for this client");
  }

  @Test
  void token_wrongGrantType_isUnsupportedGrantType() throws Exception {
    HttpResponse<String> response = fixture.tokenForm("grant_type=password&username=a&password=b");

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(response.body()).getString("error"))
        .isEqualTo("unsupported_grant_type");
  }

  @Test
  void jwks_publishesOnlyThePublicKey() throws Exception {
    JsonObject jwks = new JsonObject(fixture.get("/.well-known/jwks.json").body());

    JsonObject key = jwks.getJsonArray("keys").getJsonObject(0);
    assertThat(key.getString("kty")).isEqualTo("EC");
    assertThat(key.getString("alg")).isEqualTo("ES256");
    assertThat(key.containsKey("d")).isFalse();
  }

  @Test
  void everything_auditStoreUnavailable_is503AndReleasesNothing() throws Exception {
    String token = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    long before = auditCount();
    db.query("ALTER TABLE audit_event RENAME TO audit_event_away").execute().await();
    HttpResponse<String> response;
    try {
      response = fixture.everything(fixture.firstPerson().nhsNumber().toString(), token);
    } finally {
      db.query("ALTER TABLE audit_event_away RENAME TO audit_event").execute().await();
    }

    assertOutcome(
        response,
        503,
        "transient",
        "the audit log cannot be written; nothing was released, try later");
    assertThat(response.body()).doesNotContain(fixture.firstPerson().family());
    assertThat(auditCount()).isEqualTo(before);
  }

  private static long auditCount() {
    return db.query("SELECT count(*) FROM audit_event")
        .execute()
        .await()
        .iterator()
        .next()
        .getLong(0);
  }

  private static void assertOutcome(
      HttpResponse<String> response, int status, String code, String message) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValueSatisfying(ct -> assertThat(ct).startsWith(Fhir.JSON));
    OperationOutcome outcome = Fhir.json().parseResource(OperationOutcome.class, response.body());
    assertThat(outcome.getIssueFirstRep().getCode().toCode()).isEqualTo(code);
    assertThat(outcome.getIssueFirstRep().getDiagnostics()).isEqualTo(message);
  }

  private static Row auditOf(HttpResponse<String> response) {
    String requestId = response.headers().firstValue("X-Request-ID").orElseThrow();
    var rows =
        db.preparedQuery("SELECT * FROM audit_event WHERE request_id = $1")
            .execute(Tuple.of(requestId))
            .await();
    assertThat(rows.size()).as("audit events for request %s", requestId).isEqualTo(1);
    return rows.iterator().next();
  }
}
