package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** With no database URL, the gateway runs its own PostgreSQL in its data folder and keeps it. */
class GatewayRestartTest {

  @Test
  void restart_withEmbeddedDatabase_keepsEarlierAuditEvents() throws Exception {
    // Not @TempDir: its owner-only folder would shut out the unprivileged server user under root.
    Path dir =
        Files.createDirectories(Path.of("target", "restart-" + System.nanoTime()).toAbsolutePath());
    String nhs;
    String requestId;
    try (GatewayFixture first = GatewayFixture.start(dir, null)) {
      nhs = first.firstPerson().nhsNumber().toString();
      var response =
          first.everything(nhs, first.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT"));
      assertThat(response.statusCode()).isEqualTo(200);
      requestId = response.headers().firstValue("X-Request-ID").orElseThrow();
    }
    assertThat(dir.resolve("data/postgres/data/PG_VERSION")).exists();
    assertThat(Files.exists(dir.resolve("data/postgres/data/postmaster.pid")))
        .as("the embedded server stopped with the gateway")
        .isFalse();

    try (GatewayFixture second = GatewayFixture.start(dir, null)) {
      var rows =
          second
              .gateway
              .database()
              .pool()
              .preparedQuery("SELECT nhs_number, outcome FROM audit_event WHERE request_id = $1")
              .execute(io.vertx.sqlclient.Tuple.of(requestId))
              .await();
      assertThat(rows.size()).isEqualTo(1);
      assertThat(rows.iterator().next().getString("nhs_number")).isEqualTo(nhs);
      assertThat(rows.iterator().next().getString("outcome")).isEqualTo("permitted");
    }
  }
}
