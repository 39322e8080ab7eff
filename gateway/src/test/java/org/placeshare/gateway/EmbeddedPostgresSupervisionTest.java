package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.ECKey;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.placeshare.gateway.audit.AuditExport;
import org.placeshare.gateway.audit.AuditVerifier;
import org.placeshare.gateway.storage.EmbeddedPostgres;
import org.placeshare.policy.identity.SigningKey;

/**
 * The gateway on its own embedded PostgreSQL (not the shared test server: this one is killed), as
 * the demo runs it: when the database server dies, requests that need it are answered 503 and
 * nothing is released; the gateway starts the server again by itself, and the same request is
 * answered, and the audit log verifies, without anyone stepping in.
 */
class EmbeddedPostgresSupervisionTest {

  /** A back-off of 1 s, a start of a few seconds on a loaded machine: well inside this. */
  static final Duration RECOVERY = Duration.ofSeconds(60);

  @Test
  void embeddedPostgresKilled_answers503_thenRestartsItAndRecoversWithoutAnOperator()
      throws Exception {
    Path dir = Files.createDirectories(Path.of("target", "supervision-" + System.nanoTime()));
    try (GatewayFixture fixture = GatewayFixture.start(dir, null)) {
      String nhs = fixture.firstPerson().nhsNumber().toString();
      String token = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
      HttpResponse<String> before = fixture.everything(nhs, token);
      assertThat(before.statusCode()).as(before.body()).isEqualTo(200);

      EmbeddedPostgres server = fixture.gateway.database().embedded().orElseThrow();
      // As an outsider would: the postmaster's pid from its lock file, then SIGKILL.
      long pid =
          Long.parseLong(
              Files.readAllLines(server.dataFolder().resolve("postmaster.pid")).get(0).strip());
      ProcessHandle postmaster = ProcessHandle.of(pid).orElseThrow();
      postmaster.destroyForcibly();
      postmaster.onExit().get();

      HttpResponse<String> during = fixture.everything(nhs, token);
      assertThat(during.statusCode()).as(during.body()).isEqualTo(503);
      assertThat(during.body()).doesNotContain("\"resourceType\":\"Patient\"");

      Instant deadline = Instant.now().plus(RECOVERY);
      HttpResponse<String> after = during;
      while (after.statusCode() != 200 && Instant.now().isBefore(deadline)) {
        Thread.sleep(250);
        after = fixture.everything(nhs, token);
      }
      assertThat(after.statusCode())
          .as("answered within %s: %s", RECOVERY, after.body())
          .isEqualTo(200);
      assertThat(server.pid()).isNotEqualTo(pid);

      fixture.gateway.auditTree().checkpoint().await();
      ECKey auditKey = SigningKey.readPublicPem(dir.resolve("audit.pub.pem"));
      AuditExport.Contents contents = AuditExport.read(fixture.gateway.database().pool()).await();
      AuditVerifier.Report report =
          AuditVerifier.verify(contents.leaves().iterator(), contents.checkpoints(), auditKey);
      assertThat(report.intact()).as(report.summary()).isTrue();
      // The views answered 200 are there: the one before and the one after.
      assertThat(contents.leaves()).hasSizeGreaterThanOrEqualTo(2);
    }
  }
}
