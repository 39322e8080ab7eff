package org.placeshare.gateway.storage;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Requests per client per minute, counted in PostgreSQL ({@code client_rate}) so a count holds
 * across every instance. Windows older than an hour are swept now and then as counts go by.
 */
public final class ClientRequestCounts {

  private static final String COUNT =
      "INSERT INTO client_rate (client_id, window_start, requests) VALUES ($1, $2, 1)"
          + " ON CONFLICT (client_id, window_start) DO UPDATE SET requests ="
          + " client_rate.requests + 1 RETURNING requests";
  private static final String SWEEP = "DELETE FROM client_rate WHERE window_start < $1";
  private static final int SWEEP_EVERY = 1000;

  private final Pool pool;
  private final AtomicInteger seen = new AtomicInteger();

  public ClientRequestCounts(Pool pool) {
    this.pool = pool;
  }

  /** Counts one more request of {@code client} in the window starting at {@code window}. */
  public Future<Integer> countOne(String client, Instant window) {
    if (seen.incrementAndGet() % SWEEP_EVERY == 0) {
      pool.preparedQuery(SWEEP)
          .execute(Tuple.of(window.minusSeconds(3600).atOffset(ZoneOffset.UTC)));
    }
    return pool.preparedQuery(COUNT)
        .execute(Tuple.of(client, window.atOffset(ZoneOffset.UTC)))
        .map(rows -> rows.iterator().next().getInteger(0));
  }
}
