package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.placeshare.gateway.audit.NoteSigner;
import org.placeshare.gateway.audit.NoteVerifierKey;
import org.placeshare.gateway.audit.WitnessingConfig;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.gateway.witness.WitnessConfig;
import org.placeshare.gateway.witness.WitnessServer;

/**
 * A partner's witness for a gateway under test: a real {@link WitnessServer} with its own key,
 * Vert.x and database, on a port reserved for it before the gateway is configured, so a test can
 * stop it (witnessing falls behind) and start it again on the same port (it catches up).
 */
final class TestWitness implements AutoCloseable {

  final NoteSigner cosigner;
  final int port;
  private final Vertx vertx = Vertx.vertx();
  private final Pool pool;
  private NoteVerifierKey logKey;
  private WitnessServer server;

  private TestWitness(String name) throws Exception {
    this.cosigner = NoteSigner.generateCosigner(name, new SecureRandom());
    try (ServerSocket free = new ServerSocket(0)) {
      this.port = free.getLocalPort(); // nothing listens there until the witness starts
    }
    this.pool =
        PgBuilder.pool()
            .connectingTo(PgConnectOptions.fromUri(TestPostgres.freshDatabase()))
            .using(vertx)
            .build();
  }

  /** A witness named {@code name}, not yet started. */
  static TestWitness reserve(String name) throws Exception {
    return new TestWitness(name);
  }

  /**
   * The configuration failing closed on this witness alone after the shortest {@code maxLag}; the
   * witness will witness the log whose note key the configuration names.
   */
  GatewayConfig failingClosed(GatewayConfig c) {
    try {
      logKey =
          NoteSigner.parse(Files.readString(c.auditNoteKey().orElseThrow()).strip()).verifierKey();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return c.withWitnessing(
        new WitnessingConfig(
            List.of(
                new WitnessingConfig.Witness(
                    URI.create("http://127.0.0.1:" + port), cosigner.verifierKey())),
            1,
            WitnessingConfig.MIN_MAX_LAG,
            true));
  }

  /** Starts (or starts again) on its port, on the clock the gateway fixture runs by. */
  TestWitness start() {
    server =
        WitnessServer.start(
                vertx,
                new WitnessConfig(
                    "127.0.0.1",
                    port,
                    cosigner,
                    List.of(WitnessConfig.WitnessedLog.of(logKey)),
                    Optional.empty(),
                    Path.of("target/unused-witness")),
                pool,
                GatewayFixture.CLOCK)
            .await();
    return this;
  }

  void stop() {
    if (server != null) {
      server.close().await();
      server = null;
    }
  }

  /** Waits until the IG lead's alerts say witnessing is behind (asking no source). */
  static void awaitBehind(GatewayFixture fixture) throws Exception {
    String ig = fixture.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT");
    long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!fixture.get("/audit/alerts", ig).body().contains("witnessing-behind")) {
      assertThat(System.nanoTime()).as("witnessing never fell behind").isLessThan(end);
      Thread.sleep(100);
    }
  }

  @Override
  public void close() {
    stop();
    pool.close().await();
    vertx.close().await();
  }
}
