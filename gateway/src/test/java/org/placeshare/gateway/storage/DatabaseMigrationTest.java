package org.placeshare.gateway.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.placeshare.gateway.TestPostgres;

/** Opening a database that is already migrated, as every restart does. */
class DatabaseMigrationTest {

  @Test
  void open_alreadyMigrated_logsNoBackendNotice() throws Exception {
    String url = TestPostgres.freshDatabase();
    Vertx vertx = Vertx.vertx();
    List<String> logged = new CopyOnWriteArrayList<>();
    Handler capture =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            logged.add(record.getLevel() + " " + record.getMessage());
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    try {
      Database.open(vertx, url, Path.of("target")).await().close().await();
      Logger.getLogger("").addHandler(capture);

      Database.open(vertx, url, Path.of("target")).await().close().await();
    } finally {
      Logger.getLogger("").removeHandler(capture);
      vertx.close().await();
    }

    // A restart is not news: "relation schema_migration already exists" was a WARNING each time.
    assertThat(logged).noneMatch(line -> line.contains("schema_migration"));
  }

  @Test
  void open_malformedUrl_failsWithoutQuotingThePassword() {
    Vertx vertx = Vertx.vertx();
    try {
      Throwable failure =
          Database.open(vertx, "postgresql://placeshare:S3cret-Pw@db.example:54x2/placeshare", null)
              .cause();

      assertThat(failure).isNotNull();
      assertThat(failure.getMessage()).doesNotContain("S3cret").contains("database URL");
    } finally {
      vertx.close().await();
    }
  }
}
