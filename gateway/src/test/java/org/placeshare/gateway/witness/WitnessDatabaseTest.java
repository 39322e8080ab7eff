package org.placeshare.gateway.witness;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.placeshare.gateway.audit.NoteSigner;

/** The witness's database settings: a mistake named by its setting, never its secret. */
class WitnessDatabaseTest {

  static final SecureRandom RANDOM = new SecureRandom();

  Vertx vertx = Vertx.vertx();

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  @Test
  void open_anUnreadableUrl_namesTheSettingAndNeverPrintsThePassword() throws Exception {
    WitnessConfig config =
        new WitnessConfig(
            "127.0.0.1",
            0,
            NoteSigner.generateCosigner("witness.gpfed.example/w1", RANDOM),
            List.of(
                WitnessConfig.WitnessedLog.of(
                    NoteSigner.generate("gw.example/coventry/audit", RANDOM).verifierKey())),
            Optional.of("postgresql://witness:S3cret@db.gpfed.example:port/witness"),
            Path.of("target/unused-witness"));

    Throwable failure =
        WitnessDatabase.open(vertx, config)
            .toCompletionStage()
            .toCompletableFuture()
            .handle((db, e) -> e)
            .get(30, TimeUnit.SECONDS);

    assertThat(failure).isNotNull();
    assertThat(failure.getMessage())
        .startsWith("databaseUrlFile: expected a PostgreSQL URL")
        .doesNotContain("S3cret")
        .doesNotContain("db.gpfed.example");
    for (Throwable t = failure; t != null; t = t.getCause()) {
      assertThat(String.valueOf(t.getMessage())).doesNotContain("S3cret");
    }
  }
}
