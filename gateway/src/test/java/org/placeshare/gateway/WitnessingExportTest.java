package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.policy.identity.SigningKey;

/**
 * A bulk export while witnessing is behind and the gateway fails closed: its members are refused by
 * the gateway's own rule, which is no member's or source's fault, so the job pauses instead of
 * counting them failed, and completes once the witness is back.
 */
class WitnessingExportTest {

  @TempDir static Path dir;
  static TestWitness witness;
  static GatewayFixture fixture;

  @BeforeAll
  static void start() throws Exception {
    witness = TestWitness.reserve("witness.gpfed.example");
    Path secret = dir.resolve("pseudonym.secret");
    Files.writeString(secret, com.nimbusds.jose.util.Base64URL.encode(new byte[32]).toString());
    fixture =
        GatewayFixture.start(
            dir.resolve("gw"),
            TestPostgres.freshDatabase(),
            SigningKey.generate(),
            config ->
                witness.failingClosed(
                    GatewayFixture.withCohorts(
                        config,
                        new GatewayConfig.Cohorts(
                            30,
                            2,
                            Duration.ofSeconds(2),
                            Duration.ofHours(1),
                            10,
                            2,
                            dir.resolve("exports")),
                        Optional.of(secret))));
    fixture.addAgreement("gm-connect-population-health.yaml");
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
    witness.close();
  }

  static String jobStatus(String job) {
    return fixture
        .gateway
        .database()
        .pool()
        .preparedQuery("SELECT status FROM export_job WHERE id = $1")
        .execute(Tuple.of(UUID.fromString(job)))
        .await()
        .iterator()
        .next()
        .getString("status");
  }

  @Test
  void export_whileWitnessingIsBehind_pausesWithoutFailingMembers_andCompletesWhenItIsBack()
      throws Exception {
    String token = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "PUBHLTH");
    String view = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    String person = fixture.firstPerson().nhsNumber().toString();
    // No witness answers: after maxLag, releases are refused.
    WitnessingTest.await(
        () -> {
          try {
            return fixture.everything(person, view).statusCode() == 503;
          } catch (Exception e) {
            return false;
          }
        },
        Duration.ofSeconds(20));

    String group = CohortExportTest.registered(fixture, token, CohortExportTest.everyone(fixture));
    String status = CohortExportTest.kickOff(fixture, token, group, "$export");
    String job = status.substring(status.lastIndexOf('/') + 1);
    // Several polls and two leases: the job is still waiting, not finished with members failed.
    Thread.sleep(5_000);
    assertThat(jobStatus(job)).isIn("queued", "running");
    assertThat(fixture.get(CohortExportTest.path(status), token).statusCode()).isEqualTo(202);

    witness.start();
    HttpResponse<String> done = CohortExportTest.await(fixture, token, status);

    assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
    assertThat(done.body()).doesNotContain("WitnessingBehind");
    JsonObject counts =
        new JsonObject(done.body())
            .getJsonObject("extension")
            .getJsonObject("https://placeshare.example/fhir/StructureDefinition/cohort-counts");
    assertThat(counts.getInteger("members")).isEqualTo(20);
    assertThat(counts.getInteger("included")).isPositive();
    // Only the members a down source fails (as without witnessing), none for witnessing.
    assertThat(counts.getInteger("failed")).isLessThan(counts.getInteger("included"));

    // The files written are records too: while witnessing falls behind again, none is sent.
    String file =
        CohortExportTest.path(
            new JsonObject(done.body()).getJsonArray("output").getJsonObject(0).getString("url"));
    assertThat(fixture.get(file, token).statusCode()).isEqualTo(200);
    witness.stop();
    WitnessingTest.await(
        () -> {
          try {
            return fixture.everything(person, view).statusCode() == 503;
          } catch (Exception e) {
            return false;
          }
        },
        Duration.ofSeconds(20));
    HttpResponse<String> held = fixture.get(file, token);
    assertThat(held.statusCode()).isEqualTo(503);
    assertThat(held.body()).contains("OperationOutcome").contains("witness");
    witness.start();
    WitnessingTest.await(
        () -> {
          try {
            return fixture.get(file, token).statusCode() == 200;
          } catch (Exception e) {
            return false;
          }
        },
        Duration.ofSeconds(20));
  }
}
