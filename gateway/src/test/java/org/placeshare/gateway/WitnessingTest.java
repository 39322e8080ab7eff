package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.placeshare.fhir.Fhir;
import org.placeshare.gateway.audit.AuditExport;
import org.placeshare.gateway.audit.AuditVerifier;
import org.placeshare.gateway.audit.NoteCheckpoint;
import org.placeshare.gateway.audit.NoteSigner;
import org.placeshare.gateway.audit.SignedNote;
import org.placeshare.gateway.audit.WitnessingConfig;
import org.placeshare.gateway.witness.WitnessConfig;
import org.placeshare.gateway.witness.WitnessServer;
import org.placeshare.policy.identity.SigningKey;

/**
 * Issue 21, partner witnesses, the gateway's side, against the real witness server: checkpoints are
 * cosigned and served with the cosignature; a witness that stops answering raises the alert after
 * maxLag and, failing closed, the view is refused with 503 until the witness is back.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WitnessingTest {

  @TempDir static Path dir;
  static Vertx witnessVertx;
  static Pool witnessPool;
  static WitnessConfig witnessConfig;
  static WitnessServer witness;
  static NoteSigner cosigner =
      NoteSigner.generateCosigner("witness.gpfed.example", new SecureRandom());

  /**
   * The council's witness as configured at the gateway; the server there signs with another key.
   */
  static NoteSigner councilKey =
      NoteSigner.generateCosigner("witness.council.example", new SecureRandom());

  static NoteSigner impostorKey =
      NoteSigner.generateCosigner("witness.council.example", new SecureRandom());

  static Pool impostorPool;
  static WitnessServer impostor;
  static NoteSigner logKey;
  static GatewayFixture fixture;

  @BeforeAll
  static void start() throws Exception {
    witnessVertx = Vertx.vertx();
    witnessPool =
        PgBuilder.pool()
            .connectingTo(PgConnectOptions.fromUri(TestPostgres.freshDatabase()))
            .using(witnessVertx)
            .build();
    impostorPool =
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
                impostor =
                    WitnessServer.start(
                            witnessVertx,
                            new WitnessConfig(
                                "127.0.0.1",
                                0,
                                impostorKey,
                                witnessConfig.logs(),
                                Optional.empty(),
                                dir.resolve("unused-too")),
                            impostorPool,
                            GatewayFixture.CLOCK)
                        .await();
                return config.withWitnessing(
                    new WitnessingConfig(
                        List.of(
                            new WitnessingConfig.Witness(
                                URI.create("http://127.0.0.1:" + witness.port()),
                                cosigner.verifierKey()),
                            new WitnessingConfig.Witness(
                                URI.create("http://127.0.0.1:" + impostor.port()),
                                councilKey.verifierKey())),
                        1,
                        WitnessingConfig.MIN_MAX_LAG,
                        true));
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
    if (witness != null) {
      witness.close().await();
    }
    if (impostor != null) {
      impostor.close().await();
    }
    witnessPool.close().await();
    impostorPool.close().await();
    witnessVertx.close().await();
  }

  static void await(BooleanSupplier done, Duration within) throws Exception {
    long end = System.nanoTime() + within.toNanos();
    while (!done.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waited %s", within).isLessThan(end);
      Thread.sleep(100);
    }
  }

  HttpResponse<String> view() throws Exception {
    String council = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    return fixture.everything(fixture.firstPerson().nhsNumber().toString(), council);
  }

  static boolean cosigned(String note) {
    try {
      return SignedNote.open(
              note.getBytes(StandardCharsets.UTF_8),
              List.of(logKey.verifierKey(), cosigner.verifierKey()))
          .signedBy(cosigner.verifierKey());
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** One row of the gateway's audit_witness for a witness, as the worker left it. */
  static Row witnessRow(String name) {
    return fixture
        .gateway
        .database()
        .pool()
        .preparedQuery("SELECT size, error FROM audit_witness WHERE name = $1")
        .execute(Tuple.of(name))
        .await()
        .iterator()
        .next();
  }

  /** Every event in the log: once the witness has cosigned this many, nothing is waiting. */
  static long treeSize() {
    return fixture
        .gateway
        .database()
        .pool()
        .query("SELECT size FROM audit_tree")
        .execute()
        .await()
        .iterator()
        .next()
        .getLong(0);
  }

  static long cosignatures(String name, long above) {
    return fixture
        .gateway
        .database()
        .pool()
        .preparedQuery("SELECT count(*) FROM audit_cosignature WHERE witness = $1 AND size > $2")
        .execute(Tuple.of(name, above))
        .await()
        .iterator()
        .next()
        .getLong(0);
  }

  @Test
  @Order(1)
  void checkpoint_isServedWithTheWitnesssCosignature_andOpensWithTheLogKeyAlone() throws Exception {
    assertThat(view().statusCode()).isEqualTo(200);
    String[] served = new String[1];
    await(
        () -> {
          try {
            served[0] = fixture.get("/audit/checkpoint").body();
            return cosigned(served[0]);
          } catch (Exception e) {
            return false;
          }
        },
        Duration.ofSeconds(20));
    // A verifier that knows only the log's key still opens it: the cosignature is one more line.
    SignedNote.Opened alone =
        SignedNote.open(served[0].getBytes(StandardCharsets.UTF_8), List.of(logKey.verifierKey()));
    assertThat(alone.signedBy(logKey.verifierKey())).isTrue();
    NoteCheckpoint c = NoteCheckpoint.verify(served[0], logKey.verifierKey());
    assertThat(c.size()).isPositive();
  }

  @Test
  @Order(2)
  void witnessWhoseKeyDoesNotVerifyItsAnswer_isNotCounted() throws Exception {
    await(
        () -> witnessRow("witness.council.example").getString("error") != null,
        Duration.ofSeconds(20));
    Row council = witnessRow("witness.council.example");
    // It answered 200 (it is a real witness), but not with a cosignature the configured key makes.
    assertThat(council.getString("error"))
        .contains("answered 200 without a valid cosignature")
        .contains("witness.council.example");
    assertThat(council.getLong("size")).isZero();
    assertThat(cosignatures("witness.council.example", -1)).isZero();
    String served = fixture.get("/audit/checkpoint").body();
    SignedNote.Opened opened =
        SignedNote.open(
            served.getBytes(StandardCharsets.UTF_8),
            List.of(logKey.verifierKey(), councilKey.verifierKey(), impostorKey.verifierKey()));
    assertThat(opened.signedBy(councilKey.verifierKey())).isFalse();
    assertThat(opened.signedBy(impostorKey.verifierKey())).isFalse();
  }

  @Test
  @Order(3)
  void witnessAnswering409WithASizeTheLogHolds_isCaughtUp() throws Exception {
    await(() -> witnessRow("witness.gpfed.example").getLong("size") > 0, Duration.ofSeconds(20));
    long known = witnessRow("witness.gpfed.example").getLong("size");
    // The gateway forgets what the witness cosigned (a restored backup of its table, say): it
    // submits from 0, the witness answers 409 with the size it holds, and the gateway resubmits.
    fixture
        .gateway
        .database()
        .pool()
        .query("UPDATE audit_witness SET size = 0 WHERE name = 'witness.gpfed.example'")
        .execute()
        .await();
    assertThat(view().statusCode()).isEqualTo(200);
    await(() -> cosignatures("witness.gpfed.example", known) > 0, Duration.ofSeconds(20));
    await(
        () -> witnessRow("witness.gpfed.example").getLong("size") > known, Duration.ofSeconds(20));
    assertThat(witnessRow("witness.gpfed.example").getString("error")).isNull();
  }

  static AuditVerifier.Report verifyExport(int quorum, NoteSigner... witnesses) throws Exception {
    AuditExport.Contents contents = AuditExport.read(fixture.gateway.database().pool()).await();
    return AuditVerifier.verify(
        contents.leaves().iterator(),
        contents.checkpoints(),
        SigningKey.readPublicPem(dir.resolve("gw/audit.pub.pem")),
        contents.notes(),
        Optional.of(logKey.verifierKey()),
        new AuditVerifier.Witnesses(
            java.util.Arrays.stream(witnesses).map(NoteSigner::verifierKey).toList(), quorum));
  }

  @Test
  @Order(4)
  void auditVerify_checksTheWitnessesCosignaturesOnTheExportedNotes() throws Exception {
    // Once the newest checkpoint is cosigned, the export verifies with the witness's key.
    AuditVerifier.Report[] report = new AuditVerifier.Report[1];
    await(
        () -> {
          try {
            return (report[0] = verifyExport(1, cosigner)).intact();
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        },
        Duration.ofSeconds(20));
    AuditVerifier.WitnessTally gpfed = report[0].witnessed().orElseThrow().witnesses().get(0);
    assertThat(gpfed.name()).isEqualTo("witness.gpfed.example");
    assertThat(gpfed.largest()).isEqualTo(witnessRow("witness.gpfed.example").getLong("size"));
    assertThat(report[0].summary())
        .contains("witnesses: witness.gpfed.example cosigned up to size " + gpfed.largest());

    // The council's configured key never cosigned: two of two are not reached.
    AuditVerifier.Report both = verifyExport(2, cosigner, councilKey);
    assertThat(both.intact()).isFalse();
    assertThat(both.summary())
        .contains("no checkpoint note is witnessed: none is cosigned by 2 of the 2 witnesses given")
        .contains("witness.council.example cosigned none");
  }

  @Test
  @Order(5)
  void console_integrity_inHeadlessChromium_showsEachWitnessAndWhetherTheNewestIsWitnessed()
      throws Exception {
    Path chromium = Path.of("/usr/bin/chromium");
    Path driver = Path.of("/usr/bin/chromedriver");
    boolean present = Files.isExecutable(chromium) && Files.isExecutable(driver);
    if (!present && "required".equals(System.getenv("PLACESHARE_BROWSER_TESTS"))) {
      throw new AssertionError("PLACESHARE_BROWSER_TESTS=required but Chromium is missing");
    }
    Assumptions.assumeTrue(present, "Chromium not found: apt-get install chromium chromium-driver");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium.toFile());
    options.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1600",
        "--user-data-dir=" + Files.createTempDirectory("chromium").toAbsolutePath());
    WebDriver browser =
        new ChromeDriver(
            new ChromeDriverService.Builder().usingDriverExecutable(driver.toFile()).build(),
            options);
    try {
      browser.manage().timeouts().implicitlyWait(Duration.ofSeconds(5));
      browser.get(fixture.url("/console/").toString());
      browser
          .findElement(By.id("token"))
          .sendKeys(fixture.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT"));
      browser.findElement(By.cssSelector("button[type=submit]")).click();
      await(() -> browser.getTitle().startsWith("Audit search"), Duration.ofSeconds(15));
      // The log is quiet now (views are over): its every event gets cosigned. Waited for in
      // the database, not by reloading the page: each load is audited, so its checkpoint would
      // always be a second ahead of the witness. The page read after is rendered from the status
      // of that moment (refreshed each second), before its own event is checkpointed.
      await(
          () -> witnessRow("witness.gpfed.example").getLong("size") == treeSize(),
          Duration.ofSeconds(20));
      // Read before the page: its own audited load is cosigned a second later, moving the row.
      long size = witnessRow("witness.gpfed.example").getLong("size");
      // The page renders the status of its moment, refreshed each second: waited for, not slept.
      await(
          () ->
              fixture.gateway.witnessing().orElseThrow().status().witnesses().stream()
                  .anyMatch(w -> w.name().equals("witness.gpfed.example") && w.size() == size),
          Duration.ofSeconds(20));
      browser.get(fixture.url("/console/integrity").toString());
      String witnesses = browser.findElement(By.id("witnesses")).getText();
      assertThat(witnesses)
          .contains("The newest checkpoint (" + size + " events) is witnessed by 1")
          .contains("witness.gpfed.example " + size + " in step; last cosigned")
          .contains("witness.council.example 0")
          .contains("never cosigned")
          .contains("answered 200 without a valid cosignature");
    } finally {
      browser.quit();
    }
  }

  @Test
  @Order(6)
  void witnessStopsAnswering_alertAfterMaxLag_viewRefused503_thenResumesWhenItIsBack()
      throws Exception {
    String ig = fixture.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT");
    assertThat(fixture.get("/audit/alerts", ig).body()).doesNotContain("witnessing-behind");
    int port = witness.port();
    witness.close().await();
    witness = null;
    // An event after the last witnessed checkpoint: the lag starts.
    assertThat(view().statusCode()).isEqualTo(200);
    await(
        () -> {
          try {
            return view().statusCode() == 503;
          } catch (Exception e) {
            return false;
          }
        },
        Duration.ofSeconds(20));
    HttpResponse<String> refused = view();
    assertThat(refused.statusCode()).isEqualTo(503);
    OperationOutcome outcome = Fhir.json().parseResource(OperationOutcome.class, refused.body());
    assertThat(outcome.getIssueFirstRep().getCode())
        .isEqualTo(OperationOutcome.IssueType.TRANSIENT);
    assertThat(outcome.getIssueFirstRep().getDiagnostics())
        .contains("witnessing of the audit log is behind");
    List<Row> audit = fixture.auditFor(fixture.firstPerson().nhsNumber());
    Row last = audit.get(audit.size() - 1);
    assertThat(last.getString("outcome")).isEqualTo("refused");
    assertThat(last.getInteger("http_status")).isEqualTo(503);
    assertThat(last.getValue("detail").toString()).contains("witnesses' cosignatures");
    assertThat(fixture.get("/audit/alerts", ig).body())
        .contains("witnessing-behind")
        .contains("witness.gpfed.example: not reached");
    assertThat(fixture.management("/metrics").body())
        .contains("placeshare_audit_witness_lag_seconds")
        .contains("placeshare_audit_witness_size{witness=\"witness.gpfed.example\"");

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
    // Backoff after failures is capped; the worker finds the witness again by itself.
    await(
        () -> {
          try {
            return view().statusCode() == 200;
          } catch (Exception e) {
            return false;
          }
        },
        Duration.ofSeconds(90));
    assertThat(fixture.get("/audit/alerts", ig).body()).doesNotContain("witnessing-behind");
  }

  @Test
  @Order(7)
  void witnessFailingForGood_whileTheOthersMeetTheQuorum_raisesWitnessSilent() throws Exception {
    String ig = fixture.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT");
    // The council's witness never gave a valid cosignature; the GP federation's meets quorum 1.
    assertThat(view().statusCode()).isEqualTo(200);
    await(
        () -> {
          try {
            return fixture.get("/audit/alerts", ig).body().contains("witness-silent");
          } catch (Exception e) {
            return false;
          }
        },
        Duration.ofSeconds(20));
    String alerts = fixture.get("/audit/alerts", ig).body();
    assertThat(alerts)
        .contains("\"kind\":\"witness-silent\",\"who\":\"witness.council.example\"")
        .contains("witness witness.council.example has cosigned nothing for")
        .doesNotContain("\"who\":\"witness.gpfed.example\"")
        .doesNotContain("witnessing-behind");
  }

  @Test
  @Order(8)
  void statusWithoutWitnessRows_stillCountsTheLag_andFailsClosed() throws Exception {
    // Rows lost (a restored table, say): nothing is submitted, and the status must still see
    // checkpoints waiting rather than read "no lag" from an empty table.
    fixture.gateway.database().pool().query("DELETE FROM audit_witness").execute().await();
    assertThat(view().statusCode()).isEqualTo(200);
    await(
        () -> {
          try {
            return view().statusCode() == 503;
          } catch (Exception e) {
            return false;
          }
        },
        Duration.ofSeconds(20));
  }
}
