package org.placeshare.gateway.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class SentDigestTest {

  @Test
  void of_hashesTheUtf8BytesOfTheBody() {
    // SHA-256("abc"), FIPS 180-2 appendix B.1.
    SentDigest d = SentDigest.of("abc", "application/fhir+json");

    assertThat(d.sha256())
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assertThat(d.bytes()).isEqualTo(3);
  }

  @Test
  void of_countsBytesNotCharacters() {
    assertThat(SentDigest.of("é", "text/plain").bytes()).isEqualTo(2);
  }

  @Test
  void new_notAHexSha256_isRefused() {
    assertThatThrownBy(() -> new SentDigest("ABC", 3, "text/plain"))
        .hasMessage("expected 64 lower-case hex digits, got ABC");
  }

  @Test
  void leaf_bindsTheDigest_aDifferentBodyGivesADifferentLeaf() {
    AuditEvent event =
        new AuditEvent(
            UUID.fromString("00000000-0000-4000-8000-000000000001"),
            Instant.parse("2026-01-01T00:00:00Z"),
            "request-1",
            "read-person-view",
            AuditEvent.Outcome.PERMITTED,
            200,
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            List.of(),
            Map.of("gp", List.of("Condition/1")),
            List.of(),
            "released",
            5);

    AuditRecord sentA = AuditLog.record(event.withSent(SentDigest.of("A", "x/y")), 7);
    AuditRecord sentB = AuditLog.record(event.withSent(SentDigest.of("B", "x/y")), 7);

    assertThat(sentA.detail().getJsonObject("sent").getString("sha256"))
        .isEqualTo(SentDigest.of("A", "x/y").sha256());
    assertThat(sentA.leafHash()).isNotEqualTo(sentB.leafHash());
  }
}
