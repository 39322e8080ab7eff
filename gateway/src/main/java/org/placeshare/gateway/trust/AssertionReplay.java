package org.placeshare.gateway.trust;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Client assertion ids already used, in PostgreSQL until they expire, so an assertion replayed to
 * any instance on the database is refused. Expired ids are swept as new ones arrive.
 */
public final class AssertionReplay {

  private static final String FIRST_USE =
      "INSERT INTO client_assertion_seen (client_id, jti, expires) VALUES ($1, $2, $3)"
          + " ON CONFLICT (client_id, jti) DO NOTHING";
  private static final String SWEEP = "DELETE FROM client_assertion_seen WHERE expires < $1";

  /** Sweep about once per this many assertions: cheap, and the table stays small. */
  private static final int SWEEP_EVERY = 256;

  private final Pool pool;
  private final AtomicInteger uses = new AtomicInteger();

  public AssertionReplay(Pool pool) {
    this.pool = pool;
  }

  /** True when this is the first use of the id by this client; false for a replay. */
  public Future<Boolean> firstUse(String clientId, String jti, Instant expires, Instant now) {
    Future<Boolean> first =
        pool.preparedQuery(FIRST_USE)
            .execute(Tuple.of(clientId, jti, expires.atOffset(ZoneOffset.UTC)))
            .map(rows -> rows.rowCount() == 1);
    if (uses.incrementAndGet() % SWEEP_EVERY == 0) {
      return first.compose(
          f ->
              pool.preparedQuery(SWEEP)
                  .execute(Tuple.of(now.atOffset(ZoneOffset.UTC)))
                  .map(f)
                  .otherwise(f));
    }
    return first;
  }
}
