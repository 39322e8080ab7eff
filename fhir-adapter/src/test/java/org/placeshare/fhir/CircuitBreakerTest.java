package org.placeshare.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {

  private final AtomicLong now = new AtomicLong();
  private final CircuitBreaker breaker = new CircuitBreaker(now::get);

  private void fail(int times) {
    for (int i = 0; i < times; i++) {
      assertThat(breaker.allow()).isTrue();
      breaker.failed();
    }
  }

  @Test
  void opensAfterFiveFailuresInARow_andASuccessInBetweenResetsTheCount() {
    fail(4);
    breaker.succeeded();
    fail(4);
    assertThat(breaker.allow()).isTrue();

    breaker.failed();

    assertThat(breaker.allow()).isFalse();
    assertThat(breaker.refusing()).isPresent();
  }

  @Test
  void afterTheOpenTime_letsOneTrialThrough_whoseOutcomeDecides() {
    fail(5);
    now.addAndGet(CircuitBreaker.OPEN_FOR.toNanos());

    assertThat(breaker.allow()).isTrue();
    assertThat(breaker.allow()).as("only one trial at a time").isFalse();
    breaker.failed();
    assertThat(breaker.allow()).as("a failed trial reopens at once").isFalse();

    now.addAndGet(CircuitBreaker.OPEN_FOR.toNanos());
    assertThat(breaker.allow()).isTrue();
    breaker.succeeded();
    assertThat(breaker.allow()).isTrue();
    assertThat(breaker.refusing()).isEmpty();
  }

  @Test
  void undecidedTrial_freesTheWayForTheNext_withoutReopening() {
    fail(5);
    now.addAndGet(CircuitBreaker.OPEN_FOR.toNanos());
    assertThat(breaker.allow()).isTrue();

    breaker.undecided();

    assertThat(breaker.allow()).as("the next trial may go").isTrue();
  }
}
