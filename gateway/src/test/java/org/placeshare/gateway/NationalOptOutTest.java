package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.synthetic.SyntheticPerson;
import org.placeshare.fhir.synthetic.SyntheticPopulation;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.identity.SigningKey;

/**
 * The national data opt-out file: loaded into the register at start, reloaded when it changes, a
 * file with a bad line refused whole (the opt-outs already held stay in force).
 */
class NationalOptOutTest {

  /** The fixture's people, known before it starts so the file can name them. */
  static final List<SyntheticPerson> PEOPLE = SyntheticPopulation.generate(20, 42);

  @TempDir static Path dir;
  static Path file;
  static GatewayFixture fixture;
  static String council;

  @BeforeAll
  static void start() throws Exception {
    file = dir.resolve("national-opt-outs.txt");
    Files.writeString(
        file,
        "# national data opt-outs, 2026-11-22\n"
            + person(0)
            + "\n"
            + person(1).formatted()
            + "   # grouped as people write it\n\n");
    fixture =
        GatewayFixture.start(
            dir.resolve("gateway"),
            TestPostgres.freshDatabase(),
            SigningKey.generate(),
            config ->
                GatewayFixture.with(
                    config,
                    config.consentIssuers(),
                    config.issuerTrustCa(),
                    Optional.of(file),
                    config.tls()));
    council = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  private static NhsNumber person(int i) {
    return PEOPLE.get(i).nhsNumber();
  }

  private static int statusFor(int i) throws Exception {
    return fixture.everything(person(i).toString(), council).statusCode();
  }

  private static void awaitStatus(int i, int status) throws Exception {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
    while (statusFor(i) != status && Instant.now().isBefore(deadline)) {
      Thread.sleep(100);
    }
    assertThat(statusFor(i)).isEqualTo(status);
  }

  @Test
  void optOutFile_isAppliedAtStart_reloadedOnChange_andABadFileChangesNothing() throws Exception {
    assertThat(statusFor(2)).isEqualTo(200);
    // The council's own source is down (the lookup above found that), so a refusal hidden as
    // nobody there answers as a lookup of nobody would: 502, naming the source that failed.
    assertThat(statusFor(0)).isEqualTo(502);
    assertThat(statusFor(1)).isEqualTo(502);

    Files.writeString(file, person(1) + "\n" + person(2) + "\n");
    awaitStatus(0, 200);
    awaitStatus(2, 502);

    Files.writeString(file, person(0) + "\n" + "123 456 7890\n");
    Thread.sleep(5 * GatewayFixture.POLICY_POLL.toMillis());
    assertThat(statusFor(0)).isEqualTo(200);
    assertThat(statusFor(2)).isEqualTo(502);
  }
}
