package org.placeshare.gateway.register;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.gateway.TestPostgres;
import org.placeshare.gateway.storage.Database;
import org.placeshare.policy.CareRelationship;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.RelationshipKind;

/**
 * The relationship register as views feed it: a relationship seen again within a day is left alone,
 * not even locked (issue 22: every view of a person locked the same rows, a WAL flush each and a
 * wait for the others); seen after a day it is refreshed, and an ended one is reopened.
 */
class RelationshipRefreshTest {

  static final NhsNumber PERSON = NhsNumber.parse("9990000018");
  static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");

  @TempDir static Path dir;
  static Vertx vertx;
  static Database db;
  static PatientRegister register;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    db = Database.open(vertx, TestPostgres.freshDatabase(), dir).await();
    register = new PatientRegister(db.pool());
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
  void seenAgainWithinADay_isNeitherWrittenNorLocked_afterADayIsRefreshed_endedIsReopened() {
    CareRelationship gp = new CareRelationship(OdsCode.of("Y90001"), RelationshipKind.values()[0]);
    register.relateEach(PERSON, List.of(gp), T0).await();
    Row first = row();
    assertThat(first.getOffsetDateTime("recorded_at").toInstant()).isEqualTo(T0);

    register.relateEach(PERSON, List.of(gp), T0.plus(Duration.ofHours(23))).await();
    Row again = row();
    assertThat(again.getOffsetDateTime("recorded_at").toInstant()).isEqualTo(T0);
    // Neither a new version (xmin) nor a lock on the row (xmax): nothing written at all.
    assertThat(again.getString("xmin")).isEqualTo(first.getString("xmin"));
    assertThat(again.getString("xmax")).isEqualTo("0");

    Instant later = T0.plus(Duration.ofDays(2));
    register.relateEach(PERSON, List.of(gp), later).await();
    assertThat(row().getOffsetDateTime("recorded_at").toInstant()).isEqualTo(later);

    db.pool().query("UPDATE care_relationship SET ended_at = recorded_at").execute().await();
    Instant reopened = later.plus(Duration.ofHours(1));
    register.relate(PERSON, gp, reopened).await();
    Row open = row();
    assertThat(open.getOffsetDateTime("ended_at")).isNull();
    assertThat(open.getOffsetDateTime("recorded_at").toInstant()).isEqualTo(reopened);
  }

  private static Row row() {
    return db.pool()
        .preparedQuery(
            "SELECT recorded_at, ended_at, xmin::text AS xmin, xmax::text AS xmax"
                + " FROM care_relationship WHERE nhs_number = $1")
        .execute(Tuple.of(PERSON.toString()))
        .await()
        .iterator()
        .next();
  }
}
