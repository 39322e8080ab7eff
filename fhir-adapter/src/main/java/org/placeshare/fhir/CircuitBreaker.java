package org.placeshare.fhir;

import java.time.Duration;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Stops asking a source that keeps failing: after {@link #FAILURES_TO_OPEN} failed fetches in a row
 * it is not asked for {@link #OPEN_FOR}; then one fetch is let through, and its outcome closes or
 * reopens the breaker. A source that is down then costs a view nothing but a line saying so,
 * instead of a deadline's wait on every request, and is not hammered while it recovers.
 */
final class CircuitBreaker {

  static final int FAILURES_TO_OPEN = 5;
  static final Duration OPEN_FOR = Duration.ofSeconds(30);

  private final LongSupplier nanoTime;
  private int failuresInARow;
  private long openUntil;
  private boolean open;
  private boolean trialInFlight;

  CircuitBreaker(LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
  }

  /**
   * Whether to ask the source now. While open, no; once the open time has passed, one trial fetch
   * at a time.
   */
  synchronized boolean allow() {
    if (!open) {
      return true;
    }
    if (nanoTime.getAsLong() - openUntil < 0 || trialInFlight) {
      return false;
    }
    trialInFlight = true;
    return true;
  }

  synchronized void succeeded() {
    failuresInARow = 0;
    open = false;
    trialInFlight = false;
  }

  synchronized void failed() {
    failuresInARow++;
    if (trialInFlight || failuresInARow >= FAILURES_TO_OPEN) {
      open = true;
      openUntil = nanoTime.getAsLong() + OPEN_FOR.toNanos();
    }
    trialInFlight = false;
  }

  /**
   * A fetch that says nothing of the source (the gateway's own fault): the count stays as it was,
   * and a trial it was frees the way for the next.
   */
  synchronized void undecided() {
    trialInFlight = false;
  }

  /** Why the source is not being asked, while it is not. */
  synchronized Optional<String> refusing() {
    if (open && (nanoTime.getAsLong() - openUntil < 0 || trialInFlight)) {
      return Optional.of(
          "is not being asked for now: it failed "
              + FAILURES_TO_OPEN
              + " times in a row; it is tried again within "
              + OPEN_FOR.toSeconds()
              + " s");
    }
    return Optional.empty();
  }
}
