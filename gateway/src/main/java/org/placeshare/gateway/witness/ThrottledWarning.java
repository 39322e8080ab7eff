package org.placeshare.gateway.witness;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.logging.Logger;

/**
 * A WARNING that anyone can trigger by sending a request, logged at most once per interval with the
 * count of the ones left out since, so a flood of requests cannot flood the witness's log.
 */
final class ThrottledWarning {

  private final Logger log;
  private final Clock clock;
  private final Duration interval;
  private Instant next = Instant.MIN;
  private long suppressed;

  ThrottledWarning(Logger log, Clock clock, Duration interval) {
    this.log = log;
    this.clock = clock;
    this.interval = interval;
  }

  /** Logs {@code message} unless one was logged less than the interval ago. */
  synchronized void warn(String message) {
    Instant now = clock.instant();
    if (now.isBefore(next)) {
      suppressed++;
      return;
    }
    log.warning(
        suppressed == 0
            ? message
            : message + " (and " + suppressed + " more like it not logged since the last)");
    suppressed = 0;
    next = now.plus(interval);
  }
}
