package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.policy.Consent;
import org.placeshare.policy.ConsentMethod;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PurposeOfUse;
import org.placeshare.policy.identity.AccessTokens;
import org.placeshare.policy.identity.ClientAssertionVerifier;
import org.placeshare.policy.identity.ConsentTokens;
import org.placeshare.policy.identity.HostileTokens;
import org.placeshare.policy.identity.SigningKey;

/**
 * Hostile tokens against the running gateway over HTTP. Each is refused with 401 (access token) or
 * 403 (consent token), an OperationOutcome that says only that the token was refused, and an audit
 * event holding the real reason; nothing is released.
 */
class AttackSuiteTest {

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static String clinician;
  static NhsNumber person;

  @BeforeAll
  static void start() throws Exception {
    fixture = GatewayFixture.start(dir, TestPostgres.freshDatabase());
    clinician = fixture.token(GatewayFixture.AE_CLIENT, "clinician", "TREAT");
    person = fixture.firstPerson().nhsNumber();
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  private static JWTClaimsSet claimsOf(String token) throws Exception {
    return SignedJWT.parse(token).getJWTClaimsSet();
  }

  private static long auditedRefusals(int status) {
    return fixture
        .gateway
        .database()
        .pool()
        .preparedQuery(
            "SELECT count(*) FROM audit_event WHERE outcome = 'refused' AND http_status = $1")
        .execute(io.vertx.sqlclient.Tuple.of(status))
        .await()
        .iterator()
        .next()
        .getLong(0);
  }

  private static Row lastAudit() {
    return fixture
        .gateway
        .database()
        .pool()
        .query("SELECT outcome, http_status, detail FROM audit_event ORDER BY seq DESC LIMIT 1")
        .execute()
        .await()
        .iterator()
        .next();
  }

  /** Sends a hostile access token; checks the answer and that the refusal was audited. */
  private static void refusedAccessToken(String token) throws Exception {
    long before = auditedRefusals(401);
    HttpResponse<String> r = fixture.everything(person.toString(), token);

    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(new JsonObject(r.body()).getString("resourceType")).isEqualTo("OperationOutcome");
    assertThat(r.body()).contains("the access token was refused").doesNotContain(person.toString());
    assertThat(auditedRefusals(401)).isEqualTo(before + 1);
    assertThat(lastAudit().getJsonObject("detail").getString("detail")).startsWith("access token");
  }

  /** Sends a genuine access token with a hostile consent token. */
  private static void refusedConsentToken(String consent, String auditedReason) throws Exception {
    long before = auditedRefusals(403);
    HttpResponse<String> r =
        fixture.everything(person.toString(), clinician, "X-Consent-Token", consent);

    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(new JsonObject(r.body()).getString("resourceType")).isEqualTo("OperationOutcome");
    assertThat(r.body()).doesNotContain("Bundle").doesNotContain(person.toString());
    assertThat(auditedRefusals(403)).isEqualTo(before + 1);
    assertThat(lastAudit().getJsonObject("detail").getString("detail")).contains(auditedReason);
  }

  @TestFactory
  Stream<DynamicTest> forgedAccessTokens_areRefused() throws Exception {
    JWTClaimsSet genuine = claimsOf(clinician);
    return HostileTokens.forgeries(fixture.gatewayKey, AccessTokens.TYPE, genuine)
        .entrySet()
        .stream()
        .map(f -> DynamicTest.dynamicTest(f.getKey(), () -> refusedAccessToken(f.getValue())));
  }

  @TestFactory
  Stream<DynamicTest> forgedConsentTokens_areRefused() throws Exception {
    JWTClaimsSet genuine = claimsOf(fixture.gpConsent("attack-genuine", person, "TREAT"));
    return HostileTokens.forgeries(fixture.gpConsentKey, ConsentTokens.TYPE, genuine)
        .entrySet()
        .stream()
        .map(
            f ->
                DynamicTest.dynamicTest(
                    f.getKey(), () -> refusedConsentToken(f.getValue(), "consent token")));
  }

  @TestFactory
  List<DynamicTest> accessTokensWithWrongClaimsOrType_areRefused() throws Exception {
    JWTClaimsSet genuine = claimsOf(clinician);
    Instant now = GatewayFixture.CLOCK.instant();
    SigningKey key = fixture.gatewayKey;
    Map<String, JWTClaimsSet> bad =
        Map.of(
            "expired",
            new JWTClaimsSet.Builder(genuine)
                .expirationTime(Date.from(now.minus(Duration.ofMinutes(5))))
                .build(),
            "not yet valid",
            new JWTClaimsSet.Builder(genuine)
                .notBeforeTime(Date.from(now.plus(Duration.ofMinutes(5))))
                .build(),
            "iat far in the future",
            new JWTClaimsSet.Builder(genuine)
                .issueTime(Date.from(now.plus(Duration.ofHours(2))))
                .build(),
            "wrong audience",
            new JWTClaimsSet.Builder(genuine).audience("https://elsewhere.example").build(),
            "wrong issuer",
            new JWTClaimsSet.Builder(genuine).issuer("https://elsewhere.example").build(),
            // Signed by the gateway, but for a client that is not registered as the token says.
            "a client not registered",
            new JWTClaimsSet.Builder(genuine).claim("client_id", "unregistered-client").build(),
            "a purpose the client may not claim",
            new JWTClaimsSet.Builder(genuine)
                .claim(ClientAssertionVerifier.PURPOSE_CLAIM, "PUBHLTH")
                .build(),
            "another organisation than the client's",
            new JWTClaimsSet.Builder(genuine).claim("organisation", "Y90001").build());
    List<DynamicTest> tests = new ArrayList<>();
    bad.forEach(
        (name, claims) ->
            tests.add(
                DynamicTest.dynamicTest(
                    name,
                    () ->
                        refusedAccessToken(
                            HostileTokens.sign(
                                key, HostileTokens.header(key, AccessTokens.TYPE), claims)))));
    tests.add(
        DynamicTest.dynamicTest(
            "a consent token used as an access token",
            () -> refusedAccessToken(fixture.gpConsent("attack-as-access", person, "TREAT"))));
    return tests;
  }

  @TestFactory
  List<DynamicTest> consentTokensThatDoNotFit_areRefused() {
    Instant now = GatewayFixture.CLOCK.instant();
    NhsNumber other = fixture.people.get(1).nhsNumber();
    List<DynamicTest> tests = new ArrayList<>();
    tests.add(
        DynamicTest.dynamicTest(
            "expired",
            () ->
                refusedConsentToken(
                    signed(
                        "attack-expired",
                        person,
                        "R9A",
                        "TREAT",
                        now.minusSeconds(7200),
                        now.minusSeconds(3600),
                        now.minusSeconds(7200)),
                    "consent token refused: Expired")));
    tests.add(
        DynamicTest.dynamicTest(
            "not yet valid",
            () ->
                refusedConsentToken(
                    signed(
                        "attack-nbf",
                        person,
                        "R9A",
                        "TREAT",
                        now.plusSeconds(3600),
                        now.plusSeconds(7200),
                        now),
                    "consent token refused: JWT before use time")));
    tests.add(
        DynamicTest.dynamicTest(
            "iat far in the future",
            () ->
                refusedConsentToken(
                    signed(
                        "attack-iat",
                        person,
                        "R9A",
                        "TREAT",
                        now.minusSeconds(60),
                        now.plusSeconds(7200),
                        now.plusSeconds(3600)),
                    "consent token refused: iat is in the future")));
    tests.add(
        DynamicTest.dynamicTest(
            "an access token used as a consent token",
            () -> refusedConsentToken(clinician, "consent token")));
    tests.add(
        DynamicTest.dynamicTest(
            "NHS number differs from the request",
            () ->
                refusedConsentToken(
                    fixture.gpConsent("attack-other", other, "TREAT"),
                    "consent attack-other is for another person")));
    tests.add(
        DynamicTest.dynamicTest(
            "recipient not in the token",
            () ->
                refusedConsentToken(
                    signed(
                        "attack-recipient",
                        person,
                        "Y90002",
                        "TREAT",
                        now.minusSeconds(60),
                        now.plusSeconds(7200),
                        now),
                    "consent attack-recipient does not name R9A")));
    tests.add(
        DynamicTest.dynamicTest(
            "purpose not in the token",
            () ->
                refusedConsentToken(
                    signed(
                        "attack-purpose",
                        person,
                        "R9A",
                        "COC",
                        now.minusSeconds(60),
                        now.plusSeconds(7200),
                        now),
                    "consent attack-purpose does not cover purpose TREAT")));
    tests.add(
        DynamicTest.dynamicTest(
            "withdrawn",
            () -> {
              String consent = fixture.gpConsent("attack-withdrawn", person, "TREAT");
              String ig = fixture.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT");
              assertThat(
                      fixture
                          .everything(person.toString(), clinician, "X-Consent-Token", consent)
                          .statusCode())
                  .isEqualTo(200);
              assertThat(fixture.delete("/consents/attack-withdrawn", ig).statusCode())
                  .isEqualTo(200);
              refusedConsentToken(consent, "consent attack-withdrawn was withdrawn");
            }));
    return tests;
  }

  private static String signed(
      String id,
      NhsNumber patient,
      String recipient,
      String purpose,
      Instant notBefore,
      Instant expires,
      Instant issued) {
    return ConsentTokens.sign(
        fixture.gpConsentKey,
        new Consent(
            id,
            OdsCode.of("Y90001"),
            patient,
            Set.of(OdsCode.of(recipient)),
            Set.of(PurposeOfUse.of(purpose)),
            Set.of(Consent.ALL_DATA),
            ConsentMethod.WRITTEN,
            "gp-reception-1",
            notBefore,
            expires),
        issued);
  }

  @Test
  void replayedClientAssertion_isRefusedAndAudited() throws Exception {
    String assertion =
        fixture.assertion(
            GatewayFixture.AE_CLIENT,
            fixture.clientKeys.get(GatewayFixture.AE_CLIENT),
            "clinician",
            "TREAT");

    HttpResponse<String> first = fixture.tokenRequest(assertion);
    HttpResponse<String> replay = fixture.tokenRequest(assertion);

    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(replay.statusCode()).isEqualTo(401);
    assertThat(new JsonObject(replay.body()).getString("error")).isEqualTo("invalid_client");
    Row audited = lastAudit();
    assertThat(audited.getString("outcome")).isEqualTo("refused");
    assertThat(audited.getJsonObject("detail").getString("detail"))
        .isEqualTo("client assertion refused: its jti has been used before");
  }
}
