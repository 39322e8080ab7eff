package org.placeshare.gateway;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.placeshare.gateway.storage.EmbeddedPostgres;

/**
 * One real PostgreSQL per test JVM (the gateway's own embedded server), and a fresh database for
 * each test class, so classes do not see each other's audit events.
 */
public final class TestPostgres {

  private static final String RUN =
      Long.toHexString(new java.security.SecureRandom().nextLong() & Long.MAX_VALUE);
  private static final AtomicInteger DATABASES = new AtomicInteger();
  private static EmbeddedPostgres server;

  private TestPostgres() {}

  public static synchronized String freshDatabase() throws Exception {
    if (server == null) {
      server = EmbeddedPostgres.start(Path.of("target/test-postgres"));
      Runtime.getRuntime().addShutdownHook(new Thread(server::close));
    }
    // The server's folder outlives the JVM (target/), and a container reuses its process ids: a
    // random run id keeps one run's names from meeting an earlier run's databases.
    String name = "test_" + RUN + "_" + DATABASES.incrementAndGet();
    Vertx vertx = Vertx.vertx();
    try {
      var client =
          PgBuilder.client()
              .connectingTo(PgConnectOptions.fromUri(server.url()))
              .using(vertx)
              .build();
      client.query("CREATE DATABASE " + name).execute().await();
      client.close().await();
    } finally {
      vertx.close().await();
    }
    return server.url(name);
  }
}
