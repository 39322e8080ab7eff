package org.placeshare.gateway.http;

import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;

/**
 * A per-client rate limit on person-level requests (views, cohort registrations and bulk job
 * kick-offs), counted in PostgreSQL per minute so it holds across every instance. Beyond it the
 * answer is 429 with {@code Retry-After} to the next minute. (Per-agreement limits are the pilots'
 * daily volumes, decided by the policy.)
 */
final class RateLimit {

  private static final String COUNT =
      "INSERT INTO client_rate (client_id, window_start, requests) VALUES ($1, $2, 1)"
          + " ON CONFLICT (client_id, window_start) DO UPDATE SET requests ="
          + " client_rate.requests + 1 RETURNING requests";
  private static final String SWEEP = "DELETE FROM client_rate WHERE window_start < $1";
  private static final int SWEEP_EVERY = 1000;

  private final Pool pool;
  private final int perMinute;
  private final Clock clock;
  private final AtomicInteger seen = new AtomicInteger();

  RateLimit(Pool pool, int perMinute, Clock clock) {
    this.pool = pool;
    this.perMinute = perMinute;
    this.clock = clock;
  }

  void handle(RoutingContext ctx) {
    String client = RequestState.get(ctx).caller.clientId();
    Instant now = clock.instant();
    Instant window = now.truncatedTo(ChronoUnit.MINUTES);
    if (seen.incrementAndGet() % SWEEP_EVERY == 0) {
      pool.preparedQuery(SWEEP)
          .execute(Tuple.of(window.minusSeconds(3600).atOffset(ZoneOffset.UTC)));
    }
    pool.preparedQuery(COUNT)
        .execute(Tuple.of(client, window.atOffset(ZoneOffset.UTC)))
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            rows -> {
              int requests = rows.iterator().next().getInteger(0);
              if (requests > perMinute) {
                long wait = Math.max(1, 60 - (now.getEpochSecond() - window.getEpochSecond()));
                ctx.response().putHeader("Retry-After", Long.toString(wait));
                ctx.fail(
                    429,
                    new GatewayException(
                        IssueType.THROTTLED,
                        "this client has reached its limit of "
                            + perMinute
                            + " requests a minute; try again in "
                            + wait
                            + " s"));
                return;
              }
              ctx.next();
            });
  }
}
