package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.gateway.audit.NoteSigner;
import org.placeshare.gateway.audit.WitnessingConfig;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.gateway.witness.WitnessConfig;
import org.placeshare.gateway.witness.WitnessServer;
import org.placeshare.policy.identity.SigningKey;

/**
 * A bulk export while witnessing is behind and the gateway fails closed: its members are refused by
 * the gateway's own rule, which is no member's or source's fault, so the job pauses instead of
 * counting them failed, and completes once the witness is back.
 */
class WitnessingExportTest {

  @TempDir static Path dir;
  static Vertx witnessVertx;
  static Pool witnessPool;
  static NoteSigner cosigner =
      NoteSigner.generateCosigner("witness.gpfed.example", new SecureRandom());
  static NoteSigner logKey;
  static int witnessPort;
  static WitnessServer witness;
  static GatewayFixture fixture;

  @BeforeAll
  static void start() throws Exception {
    witnessVertx = Vertx.vertx();
    witnessPool =
        PgBuilder.pool()
            .connectingTo(PgConnectOptions.fromUri(TestPostgres.freshDatabase()))
            .using(witnessVertx)
            .build();
    try (ServerSocket free = new ServerSocket(0)) {
      witnessPort = free.getLocalPort(); // nothing listens there until the witness starts
    }
    Path secret = dir.resolve("pseudonym.secret");
    Files.writeString(secret, com.nimbusds.jose.util.Base64URL.encode(new byte[32]).toString());
    fixture =
        GatewayFixture.start(
            dir.resolve("gw"),
            TestPostgres.freshDatabase(),
            SigningKey.generate(),
            config -> {
              try {
                logKey = NoteSigner.parse(Files.readString(config.auditNoteKey().orElseThrow()));
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
              return GatewayFixture.withCohorts(
                      config,
                      new GatewayConfig.Cohorts(
                          30,
                          2,
                          Duration.ofSeconds(2),
                          Duration.ofHours(1),
                          10,
                          2,
                          dir.resolve("exports")),
                      Optional.of(secret))
                  .withWitnessing(
                      new WitnessingConfig(
                          List.of(
                              new WitnessingConfig.Witness(
                                  URI.create("http://127.0.0.1:" + witnessPort),
                                  cosigner.verifierKey())),
                          1,
                          WitnessingConfig.MIN_MAX_LAG,
                          true));
            });
    fixture.addAgreement("gm-connect-population-health.yaml");
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
    if (witness != null) {
      witness.close().await();
    }
    witnessPool.close().await();
    witnessVertx.close().await();
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

    witness =
        WitnessServer.start(
                witnessVertx,
                new WitnessConfig(
                    "127.0.0.1",
                    witnessPort,
                    cosigner,
                    List.of(WitnessConfig.WitnessedLog.of(logKey.verifierKey())),
                    Optional.empty(),
                    dir.resolve("unused")),
                witnessPool,
                GatewayFixture.CLOCK)
            .await();
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
    witness.close().await();
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
    witness =
        WitnessServer.start(
                witnessVertx,
                new WitnessConfig(
                    "127.0.0.1",
                    witnessPort,
                    cosigner,
                    List.of(WitnessConfig.WitnessedLog.of(logKey.verifierKey())),
                    Optional.empty(),
                    dir.resolve("unused")),
                witnessPool,
                GatewayFixture.CLOCK)
            .await();
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
