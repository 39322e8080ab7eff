package org.placeshare.gateway.trust;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.policy.identity.Certificates;

/** The client CAs' revocation lists in force, and which reloads may replace them. */
class CrlStoreTest {

  static final Duration YEAR = Duration.ofDays(365);

  @TempDir Path dir;
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  @Test
  void reload_withoutTheListOfOneOfTheCas_isRefused_andItsRevocationsStay() throws Exception {
    Certificates.Issued first = Certificates.authority("Placeshare client CA one", YEAR);
    Certificates.Issued second = Certificates.authority("Placeshare client CA two", YEAR);
    Path cas = dir.resolve("client-ca.pem");
    first.writePem(cas, dir.resolve("one.key.pem"));
    second.writePem(dir.resolve("two.pem"), dir.resolve("two.key.pem"));
    Files.writeString(cas, Files.readString(cas) + Files.readString(dir.resolve("two.pem")));
    Certificates.Issued revoked = Certificates.client(second, "council-intel", YEAR);
    Instant made = Instant.now().minus(Duration.ofHours(1));
    Path crl = dir.resolve("client-ca.crl.pem");
    Files.writeString(
        crl,
        Certificates.revocationList(first, List.of(), made, Duration.ofDays(7))
            + Certificates.revocationList(
                second, List.of(revoked.certificate()), made, Duration.ofDays(7)));
    CrlStore store = CrlStore.load(crl, cas, Clock.systemUTC());
    assertThat(store.revoked(revoked.certificate())).isPresent();

    // A newer file of the first CA's list alone: the second CA's revocations would be gone.
    Files.writeString(
        crl,
        Certificates.revocationList(
            first, List.of(), made.plus(Duration.ofMinutes(30)), Duration.ofDays(7)));
    CrlStore.Status status = store.reload(vertx).await();

    assertThat(store.revoked(revoked.certificate())).isPresent();
    assertThat(status.refusedReloads()).isEqualTo(1);
    assertThat(status.lastError())
        .hasValueSatisfying(
            e -> assertThat(e).contains("has no CRL of CN=Placeshare client CA two"));
  }
}
