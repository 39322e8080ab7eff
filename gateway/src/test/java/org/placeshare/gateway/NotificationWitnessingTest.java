package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.synthetic.FhirSourceServer;
import org.placeshare.gateway.audit.NoteSigner;
import org.placeshare.gateway.audit.WitnessingConfig;
import org.placeshare.gateway.witness.WitnessConfig;
import org.placeshare.gateway.witness.WitnessServer;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.identity.SigningKey;

/**
 * Tell us once while the audit log is not witnessed and the gateway fails closed: a notification
 * names a person, so it is held in the outbox like any release (no attempt counted, nothing dead)
 * and sent once a witness cosigns again.
 */
class NotificationWitnessingTest {

  @TempDir static Path dir;
  static Vertx witnessVertx;
  static Pool witnessPool;
  static NoteSigner cosigner =
      NoteSigner.generateCosigner("witness.gpfed.example", new SecureRandom());
  static WitnessConfig witnessConfig;
  static WitnessServer witness;
  static FhirSourceServer councilSource;
  static SigningKey reporterKey;
  static GatewayFixture fixture;
  static Notifications.Receiver receiver;

  @BeforeAll
  static void start() throws Exception {
    witnessVertx = Vertx.vertx();
    witnessPool =
        PgBuilder.pool()
            .connectingTo(PgConnectOptions.fromUri(TestPostgres.freshDatabase()))
            .using(witnessVertx)
            .build();
    councilSource = GatewayFixture.liveCouncilSource();
    reporterKey = Notifications.reporterKey(dir);
    fixture =
        GatewayFixture.start(
            dir.resolve("gw"),
            TestPostgres.freshDatabase(),
            SigningKey.generate(),
            c -> {
              try {
                NoteSigner logKey =
                    NoteSigner.parse(Files.readString(c.auditNoteKey().orElseThrow()));
                witnessConfig =
                    new WitnessConfig(
                        "127.0.0.1",
                        0,
                        cosigner,
                        List.of(WitnessConfig.WitnessedLog.of(logKey.verifierKey())),
                        Optional.empty(),
                        dir.resolve("unused"));
                witness =
                    WitnessServer.start(
                            witnessVertx, witnessConfig, witnessPool, GatewayFixture.CLOCK)
                        .await();
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
              return Notifications.notifying(c, dir, councilSource)
                  .withWitnessing(
                      new WitnessingConfig(
                          List.of(
                              new WitnessingConfig.Witness(
                                  URI.create("http://127.0.0.1:" + witness.port()),
                                  cosigner.verifierKey())),
                          1,
                          WitnessingConfig.MIN_MAX_LAG,
                          true));
            },
            Notifications.FAST);
    fixture.addAgreement(Notifications.AGREEMENT);
    receiver = Notifications.Receiver.start(fixture.vertx);
  }

  @AfterAll
  static void stop() throws Exception {
    Notifications.stop(receiver, fixture, councilSource);
    if (witness != null) {
      witness.close().await();
    }
    witnessPool.close().await();
    witnessVertx.close().await();
  }

  @Test
  void delivery_whileWitnessingFailsClosedAndIsBehind_isHeld_thenSentWhenItCatchesUp()
      throws Exception {
    NhsNumber person = fixture.firstPerson().nhsNumber();
    String subscription =
        Notifications.subscribesToMoves(
            fixture, GatewayFixture.COUNCIL_CLIENT, List.of(person), receiver.endpoint("/council"));
    int port = witness.port();
    witness.close().await();
    // Behind, as the IG lead's alerts say (a view would ask the sources, and the live council
    // source here answers no EpisodeOfCare: its breaker would open and refuse the event below).
    String ig = fixture.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT");
    WitnessingTest.await(
        () -> {
          try {
            return fixture.get("/audit/alerts", ig).body().contains("witnessing-behind");
          } catch (Exception e) {
            return false;
          }
        },
        Duration.ofSeconds(20));

    Notifications.report(fixture, reporterKey, Notifications.moved("move-held", person));
    for (int round = 0; round < 20; round++) {
      fixture.gateway.delivery().deliverDue().await();
      Thread.sleep(20);
    }

    assertThat(receiver.at("/council")).isEmpty();
    assertThat(Notifications.delivery(fixture, subscription).getString("status"))
        .isEqualTo("pending");
    assertThat(Notifications.delivery(fixture, subscription).getInteger("attempts")).isZero();

    witness =
        WitnessServer.start(
                witnessVertx,
                new WitnessConfig(
                    "127.0.0.1",
                    port,
                    cosigner,
                    witnessConfig.logs(),
                    Optional.empty(),
                    dir.resolve("unused")),
                witnessPool,
                GatewayFixture.CLOCK)
            .await();
    Notifications.deliverUntil(
        fixture, Duration.ofSeconds(20), () -> receiver.at("/council").size() == 1);
    assertThat(Notifications.delivery(fixture, subscription).getString("status"))
        .isEqualTo("delivered");
  }
}
