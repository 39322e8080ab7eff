package org.placeshare.gateway.storage;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Logger;

/**
 * The gateway's PostgreSQL: an external server named by URL, or the embedded one in the data
 * folder. Either way one code path, the reactive vert.x client, and the schema migrated at start.
 */
public final class Database {

  private static final Logger LOG = Logger.getLogger(Database.class.getName());

  private static final int POOL_SIZE = 8;

  /**
   * Prepared statements kept per connection, least recently used first out. The gateway has about
   * 150 statement texts (the audit search builds a few more from its filters), so the ones a view
   * runs stay prepared: PostgreSQL parses and plans each once a connection instead of at every use,
   * and the client skips the round trip that prepared it each time (issue 22).
   */
  private static final int PREPARED_STATEMENTS_KEPT = 256;

  /**
   * The longest statement text kept prepared; a longer one is prepared at each use. Well above the
   * longest a view or a timer runs (the delivery lease, 1,404 characters); the client's default,
   * 2,048, would leave little room for a statement that grows.
   */
  private static final int PREPARED_STATEMENT_MAX_CHARS = 4096;

  // An arbitrary constant that names the migration lock among the server's advisory locks.
  private static final long MIGRATION_LOCK = 0x706c616365L;

  private final Vertx vertx;
  private final Pool pool;
  private final EmbeddedPostgres embedded;

  private Database(Vertx vertx, Pool pool, EmbeddedPostgres embedded) {
    this.vertx = vertx;
    this.pool = pool;
    this.embedded = embedded;
  }

  /**
   * Opens the database at {@code url}, or when it is null starts the embedded server in {@code
   * folder}; then applies pending migrations.
   */
  public static Future<Database> open(Vertx vertx, String url, Path folder) {
    return connect(vertx, url, folder, POOL_SIZE)
        .compose(
            db ->
                db.migrate()
                    .map(db)
                    .recover(e -> db.close().transform(closed -> Future.failedFuture(e))));
  }

  /**
   * Connects to {@code url}, or when it is null starts the embedded server in {@code folder},
   * without the gateway's migrations: for a program that keeps its own tables (the witness).
   */
  public static Future<Database> connect(Vertx vertx, String url, Path folder, int poolSize) {
    Future<EmbeddedPostgres> server =
        url == null
            ? vertx.executeBlocking(() -> EmbeddedPostgres.start(folder))
            : Future.succeededFuture(null);
    return server.compose(
        embedded -> {
          var builder = PgBuilder.pool().with(new PoolOptions().setMaxSize(poolSize));
          if (embedded == null) {
            try {
              builder.connectingTo(keepingStatements(PgConnectOptions.fromUri(url)));
            } catch (RuntimeException e) {
              // The driver's message quotes the URL, password and all: it never reaches a log.
              return Future.failedFuture(
                  new IllegalArgumentException(
                      "the database URL is not a PostgreSQL URL"
                          + " (postgresql://user:password@host:port/database)"));
            }
          } else {
            // Asked at each new connection: a restarted embedded server may be on another port.
            builder.connectingTo(
                () ->
                    Future.succeededFuture(
                        keepingStatements(PgConnectOptions.fromUri(embedded.url()))));
          }
          return Future.succeededFuture(
              new Database(vertx, builder.using(vertx).build(), embedded));
        });
  }

  /**
   * Keeps each connection's prepared statements. Sound across schema changes: PostgreSQL re-plans a
   * prepared statement when a table it reads changes; only a statement whose result columns change
   * (a {@code SELECT *} over a table given a column) fails once, which the client answers by
   * dropping it from the cache, so the gateway's statements name their columns.
   */
  private static PgConnectOptions keepingStatements(PgConnectOptions options) {
    options
        .setCachePreparedStatements(true)
        .setPreparedStatementCacheMaxSize(PREPARED_STATEMENTS_KEPT)
        .setPreparedStatementCacheSqlLimit(PREPARED_STATEMENT_MAX_CHARS);
    return options;
  }

  public Pool pool() {
    return pool;
  }

  /** The embedded server, when there is no external database. */
  public Optional<EmbeddedPostgres> embedded() {
    return Optional.ofNullable(embedded);
  }

  /**
   * Applies, in order and once each, the scripts listed in {@code db/migrations.txt}. An advisory
   * lock keeps two gateways starting together from applying the same script twice.
   */
  private Future<Void> migrate() {
    List<String> scripts = resource("db/migrations.txt").lines().filter(l -> !l.isBlank()).toList();
    return pool.withTransaction(
        conn ->
            conn.query("SELECT pg_advisory_xact_lock(" + MIGRATION_LOCK + ")")
                .execute()
                // Looked for first (under the lock): CREATE TABLE IF NOT EXISTS on a migrated
                // database sends a notice, which the client logs as a WARNING at every start.
                .compose(
                    v -> conn.query("SELECT to_regclass('schema_migration') IS NULL").execute())
                .compose(
                    missing ->
                        missing.iterator().next().getBoolean(0)
                            ? conn.query(
                                    "CREATE TABLE schema_migration (script text PRIMARY KEY,"
                                        + " applied_at timestamptz NOT NULL)")
                                .execute()
                            : Future.succeededFuture())
                .compose(v -> conn.query("SELECT script FROM schema_migration").execute())
                .compose(
                    applied -> {
                      Set<String> done = new HashSet<>();
                      applied.forEach(row -> done.add(row.getString(0)));
                      return applyPending(conn, scripts, done);
                    }));
  }

  /** Applies, one after another, the scripts not yet recorded as applied. */
  private static Future<Void> applyPending(
      SqlConnection conn, List<String> scripts, Set<String> done) {
    Future<Void> chain = Future.succeededFuture();
    for (String script : scripts) {
      if (!done.contains(script)) {
        chain = chain.compose(x -> apply(conn, script));
      }
    }
    return chain;
  }

  private static Future<Void> apply(SqlConnection conn, String script) {
    return conn.query(resource("db/" + script))
        .execute()
        .compose(
            x ->
                conn.preparedQuery("INSERT INTO schema_migration VALUES ($1, now())")
                    .execute(Tuple.of(script)))
        .onSuccess(x -> LOG.info("applied migration " + script))
        .mapEmpty();
  }

  /** A resource of this module as text (migration scripts, the witness's schema). */
  public static String resource(String name) {
    try (InputStream in = Database.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read resource " + name, e);
    }
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
