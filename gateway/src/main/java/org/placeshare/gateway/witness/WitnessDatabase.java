package org.placeshare.gateway.witness;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import org.placeshare.gateway.storage.EmbeddedPostgres;

/**
 * The witness's PostgreSQL: the external server its configuration names, or the embedded one in
 * {@code dataDir/postgres}, as the gateway runs it. Only the witness's own tables are made in it.
 */
public final class WitnessDatabase {

  // A witness does little: one request per log checkpoint, each a read and a write.
  private static final int POOL_SIZE = 4;

  private final Vertx vertx;
  private final Pool pool;
  private final EmbeddedPostgres embedded;

  private WitnessDatabase(Vertx vertx, Pool pool, EmbeddedPostgres embedded) {
    this.vertx = vertx;
    this.pool = pool;
    this.embedded = embedded;
  }

  /** Connects to the configured database, starting the embedded server when there is no URL. */
  public static Future<WitnessDatabase> open(Vertx vertx, WitnessConfig config) {
    Future<EmbeddedPostgres> server =
        config.databaseUrl().isPresent()
            ? Future.succeededFuture(null)
            : vertx.executeBlocking(
                () -> EmbeddedPostgres.start(config.dataDir().resolve("postgres")));
    return server.map(
        embedded -> {
          var builder = PgBuilder.pool().with(new PoolOptions().setMaxSize(POOL_SIZE));
          if (embedded == null) {
            builder.connectingTo(connectOptions(config.databaseUrl().get()));
          } else {
            // Asked at each new connection: a restarted embedded server may be on another port.
            builder.connectingTo(
                () -> Future.succeededFuture(PgConnectOptions.fromUri(embedded.url())));
          }
          return new WitnessDatabase(vertx, builder.using(vertx).build(), embedded);
        });
  }

  /**
   * The options of the configured URL. Its parser's message quotes the URL, password and all, and
   * the command prints it: this one names the setting instead, and the cause is not kept.
   */
  static PgConnectOptions connectOptions(String url) {
    try {
      return PgConnectOptions.fromUri(url);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "databaseUrlFile: expected a PostgreSQL URL"
              + " (postgresql://user:password@host:port/database); its URL cannot be read");
    }
  }

  public Pool pool() {
    return pool;
  }

  /** Closes the pool, then stops the embedded server if there is one. */
  public Future<Void> close() {
    return pool.close()
        .eventually(
            () ->
                embedded == null
                    ? Future.succeededFuture()
                    : vertx.executeBlocking(
                        () -> {
                          embedded.close();
                          return null;
                        }));
  }
}
