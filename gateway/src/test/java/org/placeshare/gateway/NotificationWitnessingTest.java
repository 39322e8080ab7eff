package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.synthetic.FhirSourceServer;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.identity.SigningKey;

/**
 * Tell us once while the audit log is not witnessed and the gateway fails closed: a notification
 * names a person, so it is held in the outbox like any release (no attempt counted, nothing dead)
 * and sent once a witness cosigns again.
 */
class NotificationWitnessingTest {

  @TempDir static Path dir;
  static TestWitness witness;
  static FhirSourceServer councilSource;
  static SigningKey reporterKey;
  static GatewayFixture fixture;
  static Notifications.Receiver receiver;

  @BeforeAll
  static void start() throws Exception {
    witness = TestWitness.reserve("witness.gpfed.example");
    councilSource = GatewayFixture.liveCouncilSource();
    reporterKey = Notifications.reporterKey(dir);
    fixture =
        GatewayFixture.start(
            dir.resolve("gw"),
            TestPostgres.freshDatabase(),
            SigningKey.generate(),
            c -> witness.failingClosed(Notifications.notifying(c, dir, councilSource)),
            Notifications.FAST);
    witness.start();
    fixture.addAgreement(Notifications.AGREEMENT);
    receiver = Notifications.Receiver.start(fixture.vertx);
  }

  @AfterAll
  static void stop() throws Exception {
    Notifications.stop(receiver, fixture, councilSource);
    witness.close();
  }

  @Test
  void delivery_whileWitnessingFailsClosedAndIsBehind_isHeld_thenSentWhenItCatchesUp()
      throws Exception {
    NhsNumber person = fixture.firstPerson().nhsNumber();
    String subscription =
        Notifications.subscribesToMoves(
            fixture, GatewayFixture.COUNCIL_CLIENT, List.of(person), receiver.endpoint("/council"));
    witness.stop();
    TestWitness.awaitBehind(fixture);

    Notifications.report(fixture, reporterKey, Notifications.moved("move-held", person));
    for (int round = 0; round < 20; round++) {
      fixture.gateway.delivery().deliverDue().await();
      Thread.sleep(20);
    }

    assertThat(receiver.at("/council")).isEmpty();
    assertThat(Notifications.delivery(fixture, subscription).getString("status"))
        .isEqualTo("pending");
    assertThat(Notifications.delivery(fixture, subscription).getInteger("attempts")).isZero();

    witness.start();
    Notifications.deliverUntil(
        fixture, Duration.ofSeconds(20), () -> receiver.at("/council").size() == 1);
    assertThat(Notifications.delivery(fixture, subscription).getString("status"))
        .isEqualTo("delivered");
  }
}
