package org.placeshare.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.URI;
import java.time.DateTimeException;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;

/**
 * What the breaker counts: only what the source did. The work here is the edge of the world (a
 * fetch that fails a given way); the source's real failures are shown against real upstreams in
 * {@link FhirRestSourceTest}.
 */
class SourceFetchTest {

  static Vertx vertx;
  static final NhsNumber ASKED = NhsNumber.parse("9990000018");

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  private static SourceFetch fetches() {
    return new SourceFetch(
        vertx,
        new SourceDescriptor(
            "gp",
            OdsCode.of("Y90001"),
            URI.create("http://127.0.0.1:9/fhir"),
            Duration.ofSeconds(5),
            List.of("Patient")));
  }

  /** Runs the work more times than it takes to open the breaker; the last result. */
  private static SourceRecords runPastTheBreaker(
      SourceFetch fetches, Supplier<Future<SourceRecords>> work) {
    SourceRecords last = null;
    for (int i = 0; i < CircuitBreaker.FAILURES_TO_OPEN + 1; i++) {
      last = fetches.run(ASKED, work).await();
    }
    return last;
  }

  @Test
  void run_illegalArgumentThrownBeforeTheRequest_isNotCountedAgainstTheSource() {
    SourceFetch fetches = fetches();

    SourceRecords last =
        runPastTheBreaker(
            fetches,
            () -> {
              throw new IllegalArgumentException("Instant out of range for a Date");
            });

    assertThat(fetches.unavailable()).isEmpty();
    assertThat(((SourceRecords.Failed) last).reason())
        .isEqualTo(
            "could not be asked: a fault in the gateway, not the source"
                + " (IllegalArgumentException)");
  }

  @Test
  void run_gatewaysOwnFailedFutures_areNotCountedAgainstTheSource() {
    SourceFetch fetches = fetches();

    runPastTheBreaker(fetches, () -> Future.failedFuture(new DateTimeException("out of range")));
    runPastTheBreaker(fetches, () -> Future.failedFuture(new ArithmeticException("overflow")));

    assertThat(fetches.unavailable()).isEmpty();
  }

  @Test
  void run_whatTheSourceSent_isCountedAndOpensTheBreaker() {
    SourceFetch fetches = fetches();

    SourceRecords last =
        runPastTheBreaker(
            fetches, () -> Future.failedFuture(new UpstreamException("answered HTTP 500")));

    assertThat(fetches.unavailable()).isPresent();
    assertThat(((SourceRecords.Failed) last).reason()).startsWith("is not being asked for now");
  }
}
