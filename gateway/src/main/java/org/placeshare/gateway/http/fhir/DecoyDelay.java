package org.placeshare.gateway.http.fhir;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How long looking a person up in the sources takes lately, so that a refusal hidden as "not there"
 * (an opted-out or restricted person) takes about as long as a real "not there", which waits for
 * the sources. Without it, the speed of the answer would tell a caller the flag exists.
 */
final class DecoyDelay {

  static final Duration INITIAL = Duration.ofMillis(20);
  static final Duration MIN = Duration.ofMillis(2);
  static final Duration MAX = Duration.ofSeconds(2);

  /** Weight of each new lookup in the moving average: recent traffic counts, outliers fade. */
  private static final double WEIGHT = 0.1;

  private double averageNanos = INITIAL.toNanos();

  /** Records how long a real lookup in the sources took. */
  synchronized void observe(Duration lookup) {
    long nanos = Math.min(Math.max(lookup.toNanos(), MIN.toNanos()), MAX.toNanos());
    averageNanos += WEIGHT * (nanos - averageNanos);
  }

  /** The average lookup time lately. */
  synchronized Duration typical() {
    return Duration.ofNanos((long) averageNanos);
  }

  /** A delay to wait before a hidden refusal: the typical lookup, give or take a quarter. */
  Duration next() {
    double jitter = 0.75 + 0.5 * ThreadLocalRandom.current().nextDouble();
    return Duration.ofNanos((long) (typical().toNanos() * jitter));
  }
}
