package org.placeshare.ops;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.placeshare.gateway.Gateway;
import org.placeshare.gateway.storage.Database;
import org.placeshare.gateway.witness.WitnessConfig;
import org.placeshare.gateway.witness.WitnessServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code placeshare witness --config witness.yaml}: the transparency-log witness a partner agency
 * runs (C2SP tlog-witness), with its own key and its own database. It cosigns a log's checkpoints
 * only when each extends the last it cosigned; docs/audit.md, "Running a witness".
 */
@Command(
    name = "witness",
    mixinStandardHelpOptions = true,
    description = "Run a transparency-log witness (C2SP tlog-witness) from a configuration file.")
final class WitnessCommand implements Callable<Integer> {

  /** Starting includes the embedded PostgreSQL's first start, which unpacks its binaries. */
  static final Duration START_DEADLINE = Duration.ofSeconds(120);

  // A witness does little: one request per log checkpoint, each a read and a write.
  private static final int POOL_SIZE = 4;

  @Option(names = "--config", required = true, description = "the witness configuration (YAML)")
  Path config;

  @Override
  public Integer call() throws Exception {
    WitnessConfig settings = WitnessConfig.load(config);
    Vertx vertx = Vertx.vertx();
    Database db;
    WitnessServer witness;
    try {
      db =
          Database.connect(
                  vertx,
                  settings.databaseUrl().orElse(null),
                  settings.dataDir().resolve("postgres"),
                  POOL_SIZE)
              .await(START_DEADLINE.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      // The message never quotes the URL (it holds a password): name the setting it came from.
      String why =
          settings.databaseUrl().isPresent()
              ? "databaseUrlFile: " + e.getMessage()
              : e.getMessage();
      System.err.println("witness did not start: " + why);
      vertx.close();
      return 1;
    }
    try {
      witness =
          WitnessServer.start(vertx, settings, db.pool())
              .await(START_DEADLINE.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println("witness did not start: " + e.getMessage());
      db.close().await(Gateway.STOP_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
      vertx.close();
      return 1;
    }
    System.out.println(
        "witness "
            + settings.cosigner().name()
            + " at http://"
            + settings.host()
            + ":"
            + witness.port()
            + "/add-checkpoint; its verifier key: "
            + settings.cosigner().verifierKey().encoded());
    // Each step awaited on its own, as the gateway's stop: stop listening, close the database
    // (stopping an embedded server), then Vert.x.
    GracefulStop.install(
        "witness",
        () -> {
          witness.close().await(Gateway.STOP_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
          db.close().await(Gateway.STOP_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
          vertx.close().await(Gateway.STOP_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        });
    new CountDownLatch(1).await();
    return 0;
  }
}
