package org.placeshare.gateway.http.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DecoyDelayTest {

  @Test
  void typical_followsRecentLookups_withinItsBounds() {
    DecoyDelay delay = new DecoyDelay();
    assertThat(delay.typical()).isEqualTo(DecoyDelay.INITIAL);

    for (int i = 0; i < 200; i++) {
      delay.observe(Duration.ofMillis(80));
    }
    assertThat(delay.typical().toMillis()).isBetween(79L, 80L);

    for (int i = 0; i < 200; i++) {
      delay.observe(Duration.ofMinutes(5));
    }
    assertThat(delay.typical()).isLessThanOrEqualTo(DecoyDelay.MAX);
  }

  @Test
  void next_staysWithinAQuarterOfTheTypicalLookup() {
    DecoyDelay delay = new DecoyDelay();
    for (int i = 0; i < 200; i++) {
      delay.observe(Duration.ofMillis(40));
    }
    long typical = delay.typical().toNanos();
    for (int i = 0; i < 1000; i++) {
      assertThat(delay.next().toNanos()).isBetween(typical * 3 / 4, typical * 5 / 4);
    }
  }
}
