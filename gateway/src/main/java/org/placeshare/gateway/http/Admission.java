package org.placeshare.gateway.http;

import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.gateway.http.edge.HttpDate;
import org.placeshare.gateway.http.edge.Outcomes;
import org.placeshare.gateway.observability.Metrics;

/**
 * The first handler of every request: at most so many requests are served at once, and beyond that
 * the answer is a quick 503 with {@code Retry-After} rather than a slow queue for everyone; and the
 * headers every response carries (HSTS when served over TLS).
 */
final class Admission {

  static final String RETRY_AFTER_SECONDS = "1";

  private final int max;
  private final boolean tls;
  private final Metrics metrics;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Clock clock;

  Admission(int max, boolean tls, Metrics metrics, Clock clock) {
    this.clock = clock;
    this.max = max;
    this.tls = tls;
    this.metrics = metrics;
    metrics.gauge("placeshare.requests.in.flight", "Requests being served now", inFlight::get);
  }

  void handle(RoutingContext ctx) {
    // Date: an origin server with a clock sends one (RFC 9110 section 6.6.1); clients compare
    // Expires and Retry-After with it rather than with their own clocks.
    var response =
        ctx.response()
            .putHeader("X-Content-Type-Options", "nosniff")
            .putHeader("Date", HttpDate.of(clock.instant()));
    if (tls) {
      response.putHeader("Strict-Transport-Security", "max-age=31536000");
    }
    if (inFlight.incrementAndGet() > max) {
      inFlight.decrementAndGet();
      response.putHeader("Retry-After", RETRY_AFTER_SECONDS);
      Outcomes.send(
          response,
          503,
          IssueType.THROTTLED,
          "the gateway is serving as many requests as it can; try again in a second");
      return;
    }
    long started = System.nanoTime();
    ctx.addEndHandler(
        done -> {
          inFlight.decrementAndGet();
          metrics.request(
              route(ctx.request().path()),
              ctx.response().getStatusCode(),
              System.nanoTime() - started);
        });
    ctx.next();
  }

  /** A route label of a few values: the API a path belongs to, never the path itself. */
  static String route(String path) {
    if (path == null) {
      return "other";
    }
    for (String prefix :
        new String[] {
          "/fhir",
          "/oauth2/token",
          "/consents",
          "/audit",
          "/console",
          "/agreements",
          "/policy",
          "/health",
          "/trust",
          "/.well-known"
        }) {
      if (path.startsWith(prefix)) {
        return path.startsWith("/fhir/Patient/") && path.endsWith("$data-quality")
            ? "/fhir/Patient/$data-quality"
            : path.startsWith("/fhir/Patient/") ? "/fhir/Patient/$everything" : prefix;
      }
    }
    return "other";
  }

  /** Requests being served now. */
  int inFlight() {
    return inFlight.get();
  }
}
