package org.placeshare.gateway.http.fhir;

import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.gateway.http.edge.AuditUnavailable;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.gateway.http.edge.RequestState;
import org.placeshare.gateway.storage.ClientAllowances;

/**
 * A per-client rate limit on person-level requests (views, cohort registrations and bulk job
 * kick-offs), counted in PostgreSQL per minute so it holds across every instance (each instance
 * claims a batch of the minute's requests at a time: {@link ClientAllowances}). Beyond it the
 * answer is 429 with {@code Retry-After} to the next minute. (Per-agreement limits are the pilots'
 * daily volumes, decided by the policy.) Traces ({@code Patient/$match}) are counted apart from
 * views: a client's traces do not eat its views' allowance, nor theirs.
 */
public final class RateLimit {

  private final ClientAllowances allowances;
  private final int perMinute;
  private final String counter;
  private final String what;
  private final Clock clock;

  /** Views, cohort registrations and bulk kick-offs: {@code perMinute} requests a client. */
  public static RateLimit requests(Pool pool, int perMinute, Clock clock) {
    return new RateLimit(pool, perMinute, "", "requests", clock);
  }

  /** Traces: {@code perMinute} a client, counted apart. */
  public static RateLimit traces(Pool pool, int perMinute, Clock clock) {
    return new RateLimit(pool, perMinute, " $match", "traces", clock);
  }

  private RateLimit(Pool pool, int perMinute, String counter, String what, Clock clock) {
    this.allowances = new ClientAllowances(pool, perMinute);
    this.perMinute = perMinute;
    this.counter = counter;
    this.what = what;
    this.clock = clock;
  }

  public void handle(RoutingContext ctx) {
    String client = RequestState.get(ctx).caller.clientId();
    Instant now = clock.instant();
    Instant window = now.truncatedTo(ChronoUnit.MINUTES);
    allowances
        .take(client + counter, window)
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            within -> {
              if (!within) {
                long wait = Math.max(1, 60 - (now.getEpochSecond() - window.getEpochSecond()));
                ctx.response().putHeader("Retry-After", Long.toString(wait));
                ctx.fail(
                    429,
                    new GatewayException(
                        IssueType.THROTTLED,
                        "this client has reached its limit of "
                            + perMinute
                            + " "
                            + what
                            + " a minute; try again in "
                            + wait
                            + " s"));
                return;
              }
              ctx.next();
            });
  }
}
