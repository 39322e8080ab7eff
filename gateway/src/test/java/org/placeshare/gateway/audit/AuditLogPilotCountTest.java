package org.placeshare.gateway.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.gateway.TestPostgres;
import org.placeshare.gateway.register.PilotCount;
import org.placeshare.gateway.storage.Database;
import org.placeshare.policy.Agreement;
import org.placeshare.policy.AgreementFile;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;

/**
 * A release's pilot count taken in the audit append's transaction (issue 22): the count, the cap
 * check and the event commit together or not at all; a release refused at its count leaves no event
 * and no count, and the events around it keep one unbroken sequence of leaves; appends at once
 * never pass a cap, however they fall into batches.
 */
class AuditLogPilotCountTest {

  static final OdsCode COUNCIL = OdsCode.of("E08000026");
  static final LocalDate DAY = LocalDate.parse("2026-11-22");

  @TempDir static Path dir;
  static Vertx vertx;
  static Database db;
  static AuditLog log;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    db = Database.open(vertx, TestPostgres.freshDatabase(), dir).await();
    log = new AuditLog(db.pool());
  }

  @AfterAll
  static void stop() {
    if (db != null) {
      db.close().await();
    }
    if (vertx != null) {
      vertx.close().await();
    }
  }

  @Test
  void concurrentAppends_countNoMoreThanTheCap_andAppendOnlyTheCounted() throws Exception {
    Agreement pilot = pilot("cap-at-once", 7);
    long before = size();
    List<Future<Long>> appends = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      appends.add(
          log.append(
              event("at-once-" + i), Optional.of(new PilotCount(List.of(pilot), COUNCIL, DAY))));
    }
    // Every append done, failed or not.
    Future.join(appends).otherwiseEmpty().await(30, TimeUnit.SECONDS);

    List<Long> indices =
        appends.stream().filter(Future::succeeded).map(Future::result).sorted().toList();
    assertThat(indices).hasSize(7);
    assertThat(appends.stream().filter(Future::failed).map(Future::cause))
        .hasSize(33)
        .allSatisfy(e -> assertThat(e).isInstanceOf(PilotCount.Reached.class));
    assertThat(used("cap-at-once")).isEqualTo(7);
    // The counted events are the leaves, one after another; the refused left no gap.
    assertThat(size()).isEqualTo(before + 7);
    assertThat(indices).isEqualTo(LongStream.range(before, before + 7).boxed().toList());
  }

  @Test
  void aReleaseRefusedByOneCap_isNotCountedAgainstItsOthers_norAppended() throws Exception {
    Agreement full = pilot("cap-full", 1);
    Agreement room = pilot("cap-room", 5);
    log.append(event("fills"), Optional.of(new PilotCount(List.of(full), COUNCIL, DAY))).await();
    long before = size();

    Future<Long> both =
        log.append(event("both"), Optional.of(new PilotCount(List.of(room, full), COUNCIL, DAY)));
    Future<Long> plain = log.append(event("plain"));
    Future.join(both, plain).otherwiseEmpty().await(30, TimeUnit.SECONDS);

    assertThat(both.failed()).isTrue();
    assertThat(((PilotCount.Reached) both.cause()).reasons())
        .containsExactly(
            "cap-full: the pilot's daily volume of 1 for E08000026 was reached while this request"
                + " was answered");
    assertThat(used("cap-full")).isEqualTo(1);
    assertThat(used("cap-room")).isZero();
    assertThat(plain.succeeded()).isTrue();
    assertThat(size()).isEqualTo(before + 1);
    assertThat(
            db.pool()
                .preparedQuery("SELECT count(*) FROM audit_event WHERE request_id = $1")
                .execute(Tuple.of("both"))
                .await()
                .iterator()
                .next()
                .getLong(0))
        .isZero();
  }

  private static long size() {
    return db.pool()
        .query("SELECT size FROM audit_tree")
        .execute()
        .await()
        .iterator()
        .next()
        .getLong(0);
  }

  private static int used(String agreement) {
    Pool pool = db.pool();
    var rows =
        pool.preparedQuery("SELECT released FROM pilot_usage WHERE agreement_id = $1")
            .execute(Tuple.of(agreement))
            .await();
    return rows.size() == 0 ? 0 : rows.iterator().next().getInteger(0);
  }

  /** The model pilot agreement under another id, with this daily volume. */
  private static Agreement pilot(String id, int volume) {
    try (InputStream in =
        AuditLogPilotCountTest.class.getResourceAsStream(
            "/agreements/gm-connect-council-intelligence.yaml")) {
      String yaml =
          new String(in.readAllBytes(), StandardCharsets.UTF_8)
              .replace("id: gm-connect-council-intelligence", "id: " + id)
              .replace("dailyVolume: 200", "dailyVolume: " + volume);
      return AgreementFile.parse(id + ".yaml", yaml.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static AuditEvent event(String requestId) {
    return new AuditEvent(
        UUID.randomUUID(),
        Instant.now(),
        requestId,
        "read-person-view",
        AuditEvent.Outcome.PERMITTED,
        200,
        Optional.of(NhsNumber.parse("9990000018")),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        List.of(),
        Map.of("gp", List.of("Condition/c1")),
        List.of(),
        "1 resource released",
        3);
  }
}
