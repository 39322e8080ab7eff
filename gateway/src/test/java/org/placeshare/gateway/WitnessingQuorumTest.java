package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
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
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.gateway.audit.NoteCheckpoint;
import org.placeshare.gateway.audit.NoteSigner;
import org.placeshare.gateway.audit.SignedNote;
import org.placeshare.gateway.audit.WitnessingConfig;
import org.placeshare.gateway.witness.WitnessConfig;
import org.placeshare.gateway.witness.WitnessServer;
import org.placeshare.policy.identity.SigningKey;

/**
 * Two real witnesses, both required (quorum 2 of 2, as in production), each slower than the
 * worker's one-second tick (1.5 s behind a real delay, one starting half a second later): they must
 * cosign the same checkpoints so the log stays witnessed while it grows. Then each witness's stored
 * state is tampered to hold another root (written to its own table), and the gateway must raise a
 * fork, not treat it as lag.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WitnessingQuorumTest {

  static final Duration SLOW = Duration.ofMillis(1500);
  static final Duration MAX_LAG = Duration.ofSeconds(10);

  @TempDir static Path dir;
  static Vertx witnessVertx;
  static Pool witnessPool;
  static NoteSigner gpfed =
      NoteSigner.generateCosigner("witness.gpfed.example", new SecureRandom());
  static NoteSigner council =
      NoteSigner.generateCosigner("witness.council.example", new SecureRandom());
  static WitnessServer gpfedServer;
  static WitnessServer councilServer;
  static SlowWitness gpfedProxy;
  static SlowWitness councilProxy;
  static NoteSigner logKey;
  static GatewayFixture fixture;

  @BeforeAll
  static void start() throws Exception {
    witnessVertx = Vertx.vertx();
    // Both witnesses in one database: their rows are keyed by their own names.
    witnessPool =
        PgBuilder.pool()
            .connectingTo(PgConnectOptions.fromUri(TestPostgres.freshDatabase()))
            .using(witnessVertx)
            .build();
    fixture =
        GatewayFixture.start(
            dir.resolve("gw"),
            TestPostgres.freshDatabase(),
            SigningKey.generate(),
            config -> {
              try {
                logKey = NoteSigner.parse(Files.readString(config.auditNoteKey().orElseThrow()));
                gpfedServer = witness(gpfed, "g");
                councilServer = witness(council, "c");
                gpfedProxy = SlowWitness.start(witnessVertx, gpfedServer.port(), SLOW);
                councilProxy = SlowWitness.start(witnessVertx, councilServer.port(), SLOW);
                return config.withWitnessing(
                    new WitnessingConfig(
                        List.of(
                            new WitnessingConfig.Witness(
                                URI.create("http://127.0.0.1:" + gpfedProxy.port()),
                                gpfed.verifierKey()),
                            new WitnessingConfig.Witness(
                                URI.create("http://127.0.0.1:" + councilProxy.port()),
                                council.verifierKey())),
                        2,
                        MAX_LAG,
                        true));
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
  }

  static WitnessServer witness(NoteSigner key, String unused) {
    return WitnessServer.start(
            witnessVertx,
            new WitnessConfig(
                "127.0.0.1",
                0,
                key,
                List.of(WitnessConfig.WitnessedLog.of(logKey.verifierKey())),
                Optional.empty(),
                dir.resolve(unused)),
            witnessPool,
            GatewayFixture.CLOCK)
        .await();
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
    for (SlowWitness p : new SlowWitness[] {gpfedProxy, councilProxy}) {
      if (p != null) {
        p.close().await();
      }
    }
    for (WitnessServer w : new WitnessServer[] {gpfedServer, councilServer}) {
      if (w != null) {
        w.close().await();
      }
    }
    witnessPool.close().await();
    witnessVertx.close().await();
  }

  static int view() {
    try {
      String token = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
      return fixture.everything(fixture.firstPerson().nhsNumber().toString(), token).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  /** The size of the served checkpoint if both witnesses cosigned it, else -1. */
  static long witnessedSize() {
    try {
      String note = fixture.get("/audit/checkpoint").body();
      SignedNote.Opened opened =
          SignedNote.open(
              note.getBytes(StandardCharsets.UTF_8),
              List.of(logKey.verifierKey(), gpfed.verifierKey(), council.verifierKey()));
      return opened.signedBy(gpfed.verifierKey()) && opened.signedBy(council.verifierKey())
          ? NoteCheckpoint.verify(note, logKey.verifierKey()).size()
          : -1;
    } catch (Exception e) {
      return -1;
    }
  }

  static long gateway(String sql) {
    return fixture
        .gateway
        .database()
        .pool()
        .query(sql)
        .execute()
        .await()
        .iterator()
        .next()
        .getLong(0);
  }

  static Row gatewayWitnessRow(String name) {
    return fixture
        .gateway
        .database()
        .pool()
        .preparedQuery("SELECT size, error, fork FROM audit_witness WHERE name = $1")
        .execute(Tuple.of(name))
        .await()
        .iterator()
        .next();
  }

  /** Overwrites what the witness holds for this log: a size with a root the log never had. */
  static void tamper(NoteSigner witness, long size) {
    byte[] root = new byte[32];
    new SecureRandom().nextBytes(root);
    long changed =
        witnessPool
            .preparedQuery("UPDATE witness_checkpoint SET size = $2, root = $3 WHERE witness = $1")
            .execute(Tuple.of(witness.verifierKey().name(), size, Buffer.buffer(root)))
            .await()
            .rowCount();
    assertThat(changed).isEqualTo(1);
  }

  static long witnessSize(NoteSigner witness) {
    return witnessPool
        .preparedQuery("SELECT size FROM witness_checkpoint WHERE witness = $1")
        .execute(Tuple.of(witness.verifierKey().name()))
        .await()
        .iterator()
        .next()
        .getLong(0);
  }

  String alerts() throws Exception {
    return fixture
        .get("/audit/alerts", fixture.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT"))
        .body();
  }

  boolean alertsContain(String words) {
    try {
      return alerts().contains(words);
    } catch (Exception e) {
      return false;
    }
  }

  @Test
  @Order(1)
  void twoSlowWitnessesBothRequired_logKeepsGrowing_witnessedKeepsAdvancing_neverBehind()
      throws Exception {
    long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    long witnessedAtHalfway = -1;
    long halfway = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    int views = 0;
    boolean hiccuped = false;
    long hiccupAt = System.nanoTime() + Duration.ofSeconds(4).toNanos();
    while (System.nanoTime() < end) {
      // Refused (503) once witnessing is behind for longer than maxLag: it must never be.
      assertThat(view()).as("view %d", views).isEqualTo(200);
      views++;
      if (!hiccuped && System.nanoTime() > hiccupAt) {
        // Once the log grows steadily, one answer a second late: from then on each witness is
        // free every other tick (busy 1.5 s), the two on alternate ticks.
        councilProxy.hiccupOnce(Duration.ofSeconds(1));
        hiccuped = true;
      }
      if (witnessedAtHalfway < 0 && System.nanoTime() > halfway) {
        witnessedAtHalfway = witnessedSize();
        assertThat(witnessedAtHalfway).as("witnessed by both at halfway").isPositive();
      }
      Thread.sleep(300);
    }
    // Still witnessed and advancing: the served checkpoint moved on since halfway.
    long afterLoad = gateway("SELECT size FROM audit_tree");
    assertThat(witnessedSize()).isGreaterThan(witnessedAtHalfway);
    assertThat(alerts()).doesNotContain("witnessing-behind");
    // And once the load stops it catches up with every event.
    WitnessingTest.await(() -> witnessedSize() >= afterLoad, Duration.ofSeconds(20));
    assertThat(gatewayWitnessRow("witness.gpfed.example").getString("error")).isNull();
    assertThat(gatewayWitnessRow("witness.council.example").getString("error")).isNull();
  }

  @Test
  @Order(2)
  void witnessHoldingAnotherRootForTheSizeSubmitted_sameSize409_raisesWitnessFork()
      throws Exception {
    councilProxy.refusing = true;
    assertThat(view()).isEqualTo(200);
    // The log quiet, every event in a checkpoint: that newest checkpoint is what is submitted.
    WitnessingTest.await(
        () ->
            gateway("SELECT max(size) FROM audit_checkpoint WHERE note IS NOT NULL")
                == gateway("SELECT size FROM audit_tree"),
        Duration.ofSeconds(10));
    Thread.sleep(1_500);
    long newest = gateway("SELECT max(size) FROM audit_checkpoint WHERE note IS NOT NULL");
    assertThat(gateway("SELECT size FROM audit_tree")).isEqualTo(newest);
    assertThat(gatewayWitnessRow("witness.council.example").getLong("size")).isLessThan(newest);
    tamper(council, newest);
    councilProxy.refusing = false;

    WitnessingTest.await(
        () -> gatewayWitnessRow("witness.council.example").getValue("fork") != null,
        Duration.ofSeconds(30));
    Row row = gatewayWitnessRow("witness.council.example");
    assertThat(row.getLong("fork")).isEqualTo(newest);
    assertThat(row.getString("error")).contains("another root for size " + newest);
    // The alerts are of the status read each second.
    String fork = "witness witness.council.example holds another root for size " + newest;
    WitnessingTest.await(() -> alertsContain(fork), Duration.ofSeconds(5));
    assertThat(alerts()).contains("\"kind\":\"witness-fork\",\"who\":\"witness.council.example\"");
  }

  @Test
  @Order(3)
  void witnessHoldingAnotherRootForASizeTheLogHolds_409ThenProofRefused_raisesWitnessFork()
      throws Exception {
    long cosigned = witnessSize(gpfed);
    assertThat(gatewayWitnessRow("witness.gpfed.example").getLong("size")).isEqualTo(cosigned);
    // A restored witness database regrown past it, or the log rewritten in place: at a size the
    // log holds the witness has another root.
    tamper(gpfed, cosigned - 1);
    view(); // an event to submit (refused or not, it is audited)

    WitnessingTest.await(
        () -> gatewayWitnessRow("witness.gpfed.example").getValue("fork") != null,
        Duration.ofSeconds(30));
    Row row = gatewayWitnessRow("witness.gpfed.example");
    assertThat(row.getLong("fork")).isEqualTo(cosigned - 1);
    assertThat(row.getString("error"))
        .contains("refused this log's consistency proof from size " + (cosigned - 1));
    String fork = "witness witness.gpfed.example holds another root for size " + (cosigned - 1);
    WitnessingTest.await(() -> alertsContain(fork), Duration.ofSeconds(5));
  }
}
