package org.placeshare.gateway.http.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class HttpDateTest {

  @Test
  void of_singleDigitDay_isWrittenWithTwoDigits_asImfFixdate() {
    // Java's RFC_1123_DATE_TIME writes "Tue, 1 Dec 2026 ...", which bdt and other clients reject.
    assertThat(HttpDate.of(Instant.parse("2026-12-01T01:02:03Z")))
        .isEqualTo("Tue, 01 Dec 2026 01:02:03 GMT");
  }
}
