package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.gateway.audit.AuditExport;
import org.placeshare.gateway.audit.AuditVerifier;
import org.placeshare.policy.identity.SigningKey;

/**
 * Two gateway instances sharing one PostgreSQL and nothing else: a consent withdrawn through one is
 * refused at the other at once, an assertion used at one is a replay at the other, a pilot's daily
 * cap and a client's rate limit hold across both, and both append to one log that verifies.
 */
class ScaleOutTest {

  /** Person-level requests per client per minute, on the whole fleet. */
  static final int LIMIT = 6;

  @TempDir static Path dir;
  static GatewayFixture a;
  static GatewayFixture b;

  @BeforeAll
  static void start() throws Exception {
    String database = TestPostgres.freshDatabase();
    a =
        GatewayFixture.start(
            dir.resolve("a"),
            database,
            SigningKey.generate(),
            config -> GatewayFixture.withClientLimit(config, LIMIT));
    // A pilot with a daily cap of 3, in the folder both instances read.
    Path gm = a.agreements.resolve("gm-connect-council-intelligence.yaml");
    Files.writeString(gm, Files.readString(gm).replace("dailyVolume: 200", "dailyVolume: 3"));
    a.gateway.policy().reload(a.vertx).await();
    b =
        GatewayFixture.start(
            dir.resolve("b"),
            database,
            a.gpConsentKey,
            config ->
                GatewayFixture.withClientLimit(
                    GatewayFixture.sharing(config, dir.resolve("a")), LIMIT));
  }

  @AfterAll
  static void stop() throws Exception {
    if (b != null) {
      b.close();
    }
    if (a != null) {
      a.close();
    }
  }

  /** A token from instance B, asked with the client's one key (the fleet shares registrations). */
  private static String atB(String client, String role, String purpose) throws Exception {
    var r = b.tokenRequest(b.assertion(client, a.clientKeys.get(client), role, purpose));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new io.vertx.core.json.JsonObject(r.body()).getString("access_token");
  }

  @Test
  void aConsentWithdrawnAtOneInstance_isRefusedAtTheOtherAtOnce() throws Exception {
    String person = a.people.get(1).nhsNumber().toString();
    String consent = a.gpConsent("scale-out-1", a.people.get(1).nhsNumber(), "TREAT");
    String atA = a.token(GatewayFixture.AE_CLIENT, "clinician", "TREAT");
    String atB = atB(GatewayFixture.AE_CLIENT, "clinician", "TREAT");
    assertThat(b.everything(person, atB, "X-Consent-Token", consent).statusCode()).isEqualTo(200);

    String ig = a.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT");
    assertThat(a.delete("/consents/scale-out-1", ig).statusCode()).isEqualTo(200);

    assertThat(b.everything(person, atB, "X-Consent-Token", consent).statusCode()).isEqualTo(403);
    assertThat(a.everything(person, atA, "X-Consent-Token", consent).statusCode()).isEqualTo(403);
  }

  @Test
  void anAssertionUsedAtOneInstance_isAReplayAtTheOther() throws Exception {
    String assertion =
        a.assertion(
            GatewayFixture.COUNCIL_CLIENT,
            a.clientKeys.get(GatewayFixture.COUNCIL_CLIENT),
            "analyst",
            "HOPERAT");
    assertThat(a.tokenRequest(assertion).statusCode()).isEqualTo(200);
    var replay = b.tokenRequest(assertion);
    assertThat(replay.statusCode()).isEqualTo(401);
    assertThat(replay.body()).contains("its jti has been used before");
  }

  @Test
  void aPilotsDailyCap_holdsAcrossBothInstances_andTheLogIsOne() throws Exception {
    String councilA = a.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    String councilB = atB(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      GatewayFixture at = i % 2 == 0 ? a : b;
      String token = i % 2 == 0 ? councilA : councilB;
      statuses.add(at.everything(a.people.get(10 + i).nhsNumber().toString(), token).statusCode());
    }

    assertThat(statuses).containsExactly(200, 200, 200, 403, 403);
    a.gateway.auditTree().checkpoint().await();
    var contents = AuditExport.read(a.gateway.database().pool()).await();
    var report =
        AuditVerifier.verify(
            contents.leaves().iterator(),
            contents.checkpoints(),
            SigningKey.readPublicPem(dir.resolve("a/audit.pub.pem")));
    assertThat(report.intact()).as(report.summary()).isTrue();
  }

  @Test
  void aClientsRateLimit_holdsAcrossBothInstances() throws Exception {
    String igA = a.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT");
    String igB = atB(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT");
    String person = a.people.get(2).nhsNumber().toString();
    List<Integer> statuses = new ArrayList<>();
    List<java.net.http.HttpResponse<String>> responses = new ArrayList<>();
    // The limit counts per clock minute: start well inside one, so the run cannot straddle two.
    while (GatewayFixture.CLOCK.instant().atZone(java.time.ZoneOffset.UTC).getSecond() > 45) {
      Thread.sleep(200);
    }
    // Views at A, cohort registrations at B: both are person-level and count against one limit.
    for (int i = 0; i < LIMIT + 2; i++) {
      var r =
          i % 2 == 0
              ? a.everything(person, igA)
              : b.post("/fhir/Group", igB, CohortExportTest.group(List.of(person)));
      statuses.add(r.statusCode());
      responses.add(r);
    }

    // The IG client has no agreement for records (403) but may name a cohort (201), until the
    // fleet-wide limit says 429 to both.
    assertThat(statuses).containsExactly(403, 201, 403, 201, 403, 201, 429, 429);
    assertThat(responses.get(LIMIT).headers().firstValue("Retry-After")).isPresent();
    assertThat(responses.get(LIMIT + 1).body()).contains("limit of 6 requests a minute");
  }
}
