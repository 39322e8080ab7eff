package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.gateway.audit.NoteCheckpoint;
import org.placeshare.gateway.audit.NoteSigner;
import org.placeshare.gateway.audit.SignedNote;
import org.placeshare.gateway.audit.WitnessingConfig;
import org.placeshare.gateway.witness.WitnessConfig;
import org.placeshare.gateway.witness.WitnessServer;
import org.placeshare.policy.identity.SigningKey;

/**
 * Two gateways on one database, both running the witnessing worker against one witness: they share
 * the witness's state (a lease lets one at a time submit), so the witness stays in step with the
 * log whichever instance appends, both serve the witnessed checkpoint, and both fail closed and
 * resume together.
 */
class WitnessingFleetTest {

  @TempDir static Path dir;
  static Vertx witnessVertx;
  static Pool witnessPool;
  static NoteSigner cosigner =
      NoteSigner.generateCosigner("witness.gpfed.example", new SecureRandom());
  static NoteSigner logKey;
  static WitnessConfig witnessConfig;
  static WitnessServer witness;
  static WitnessingConfig witnessing;
  static GatewayFixture first;
  static GatewayFixture second;

  @BeforeAll
  static void start() throws Exception {
    witnessVertx = Vertx.vertx();
    witnessPool =
        PgBuilder.pool()
            .connectingTo(PgConnectOptions.fromUri(TestPostgres.freshDatabase()))
            .using(witnessVertx)
            .build();
    String database = TestPostgres.freshDatabase();
    first =
        GatewayFixture.start(
            dir.resolve("a"),
            database,
            SigningKey.generate(),
            config -> {
              try {
                logKey = NoteSigner.parse(Files.readString(config.auditNoteKey().orElseThrow()));
                witnessConfig =
                    new WitnessConfig(
                        "127.0.0.1",
                        0,
                        cosigner,
                        List.of(WitnessConfig.WitnessedLog.of(logKey.verifierKey())),
                        Optional.empty(),
                        dir.resolve("unused"));
                witness =
                    WitnessServer.start(
                            witnessVertx, witnessConfig, witnessPool, GatewayFixture.CLOCK)
                        .await();
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
              witnessing =
                  new WitnessingConfig(
                      List.of(
                          new WitnessingConfig.Witness(
                              URI.create("http://127.0.0.1:" + witness.port()),
                              cosigner.verifierKey())),
                      1,
                      WitnessingConfig.MIN_MAX_LAG,
                      true);
              return config.withWitnessing(witnessing);
            });
    second =
        GatewayFixture.start(
            dir.resolve("b"),
            database,
            SigningKey.generate(),
            config ->
                GatewayFixture.sharing(config, dir.resolve("a"))
                    .withAuditNoteKey(dir.resolve("a/audit-note.key"))
                    .withWitnessing(witnessing));
  }

  @AfterAll
  static void stop() throws Exception {
    if (second != null) {
      second.close();
    }
    if (first != null) {
      first.close();
    }
    if (witness != null) {
      witness.close().await();
    }
    witnessPool.close().await();
    witnessVertx.close().await();
  }

  static int view(GatewayFixture f) {
    try {
      // The second instance trusts the first's clients' keys, as instances of one deployment do.
      String council =
          new io.vertx.core.json.JsonObject(
                  f.tokenRequest(
                          f.assertion(
                              GatewayFixture.COUNCIL_CLIENT,
                              SigningKey.readPrivatePem(dir.resolve("a/council.key.pem")),
                              "analyst",
                              "HOPERAT"))
                      .body())
              .getString("access_token");
      return f.everything(first.firstPerson().nhsNumber().toString(), council).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  static long cosignedSize(GatewayFixture f) {
    try {
      String note = f.get("/audit/checkpoint").body();
      SignedNote.Opened opened =
          SignedNote.open(
              note.getBytes(StandardCharsets.UTF_8),
              List.of(logKey.verifierKey(), cosigner.verifierKey()));
      return opened.signedBy(cosigner.verifierKey())
          ? NoteCheckpoint.verify(note, logKey.verifierKey()).size()
          : -1;
    } catch (Exception e) {
      return -1;
    }
  }

  static Row witnessRow() {
    return first
        .gateway
        .database()
        .pool()
        .preparedQuery("SELECT size, error, lease_until FROM audit_witness WHERE name = $1")
        .execute(Tuple.of(cosigner.verifierKey().name()))
        .await()
        .iterator()
        .next();
  }

  @Test
  void twoGatewaysOnOneDatabase_keepOneWitnessInStep_andFailClosedAndResumeTogether()
      throws Exception {
    // Events through both instances, interleaved: the log grows from either.
    for (int i = 0; i < 6; i++) {
      assertThat(view(i % 2 == 0 ? first : second)).isEqualTo(200);
    }
    long appended = first.gateway.auditTree().size().await();
    // Both serve a checkpoint cosigned by the witness, covering what both appended.
    WitnessingTest.await(
        () -> cosignedSize(first) >= appended && cosignedSize(second) >= appended,
        Duration.ofSeconds(30));
    Row row = witnessRow();
    assertThat(row.getString("error")).as("the witness never out of step").isNull();
    assertThat(row.getLong("size")).isGreaterThanOrEqualTo(appended);
    assertThat(second.management("/metrics").body())
        .contains("placeshare_audit_witness_size{witness=\"witness.gpfed.example\"} ");

    int port = witness.port();
    witness.close().await();
    witness = null;
    assertThat(view(first)).isEqualTo(200);
    WitnessingTest.await(() -> view(first) == 503 && view(second) == 503, Duration.ofSeconds(20));

    witness =
        WitnessServer.start(
                witnessVertx,
                new WitnessConfig(
                    "127.0.0.1",
                    port,
                    cosigner,
                    witnessConfig.logs(),
                    Optional.empty(),
                    dir.resolve("unused")),
                witnessPool,
                GatewayFixture.CLOCK)
            .await();
    WitnessingTest.await(() -> view(first) == 200 && view(second) == 200, Duration.ofSeconds(90));
  }
}
