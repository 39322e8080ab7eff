package org.placeshare.gateway.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.gateway.TestPostgres;
import org.placeshare.gateway.storage.Database;

/**
 * The witnessing worker's reads with a large backlog, in a real migrated database: one witness of
 * two (quorum 2) down since size {@link #DOWN_SINCE}, the other cosigning every checkpoint up to
 * {@link #CHECKPOINTS}. Each read must touch a few rows, not the backlog (the witnessed query once
 * walked back through every cosignature since the last witnessed size, in the public {@code GET
 * /audit/checkpoint}).
 */
class WitnessQueriesTest {

  static final long CHECKPOINTS = 200_000;
  static final long DOWN_SINCE = 1_000;

  /** Rows all plan nodes may produce, summed: index probes, never a scan of the backlog. */
  static final long FEW_ROWS = 50;

  @TempDir static Path dir;
  static Vertx vertx;
  static Database db;
  static final String[] NAMES = {"witness.a.example", "witness.b.example"};

  @BeforeAll
  static void load() throws Exception {
    vertx = Vertx.vertx();
    db = Database.open(vertx, TestPostgres.freshDatabase(), dir).await();
    Pool pool = db.pool();
    pool.preparedQuery(
            "INSERT INTO audit_checkpoint (size, root, signed, created_at, note)"
                + " SELECT n, '\\x00'::bytea, 's', now(), 'note ' || n"
                + " FROM generate_series(1, $1) n")
        .execute(Tuple.of(CHECKPOINTS))
        .await();
    pool.preparedQuery(
            "INSERT INTO audit_cosignature (size, witness, line, signed_at)"
                + " SELECT n, 'witness.a.example', 'l', now() FROM generate_series(1, $1) n"
                + " UNION ALL SELECT n, 'witness.b.example', 'l', now()"
                + " FROM generate_series(1, $2) n")
        .execute(Tuple.of(CHECKPOINTS, DOWN_SINCE))
        .await();
    pool.query(
            "INSERT INTO audit_witness (name, size) VALUES ('witness.a.example', "
                + CHECKPOINTS
                + "), ('witness.b.example', "
                + DOWN_SINCE
                + ")")
        .execute()
        .await();
    pool.query("ANALYZE audit_cosignature").execute().await();
    pool.query("ANALYZE audit_checkpoint").execute().await();
  }

  @AfterAll
  static void close() {
    db.close().await();
    vertx.close().await();
  }

  /** The query's plan as run, with the rows each node produced summed over its loops. */
  static long rowsRead(String sql, Tuple params) {
    Row plan =
        db.pool()
            .preparedQuery("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
            .execute(params)
            .await()
            .iterator()
            .next();
    return rows(new JsonArray(plan.getValue(0).toString()).getJsonObject(0).getJsonObject("Plan"));
  }

  static long rows(JsonObject node) {
    long n = node.getLong("Actual Rows") * node.getLong("Actual Loops");
    JsonArray children = node.getJsonArray("Plans", new JsonArray());
    for (int i = 0; i < children.size(); i++) {
      n += rows(children.getJsonObject(i));
    }
    return n;
  }

  @Test
  void witnessed_oneWitnessDownForAWhile_readsAFewRowsNotTheBacklog() {
    Tuple params = Tuple.of(NAMES, 2);
    long witnessed =
        db.pool()
            .preparedQuery(WitnessQueries.WITNESSED)
            .execute(params)
            .await()
            .iterator()
            .next()
            .getLong(0);

    assertThat(witnessed).isEqualTo(DOWN_SINCE);
    assertThat(rowsRead(WitnessQueries.WITNESSED, params)).isLessThan(FEW_ROWS);
  }

  @Test
  void target_witnessBackFromDown_joinsTheOthersNewest_readingAFewRows() {
    Tuple params =
        Tuple.of(NAMES, 2, "witness.b.example", DOWN_SINCE, OffsetDateTime.now(ZoneOffset.UTC));
    Row target =
        db.pool().preparedQuery(WitnessQueries.TARGET).execute(params).await().iterator().next();

    assertThat(target.getLong("size")).isEqualTo(CHECKPOINTS);
    assertThat(rowsRead(WitnessQueries.TARGET, params)).isLessThan(FEW_ROWS);
  }

  @Test
  void target_theWitnessThatIsUp_hasNoneToJoin_readingAFewRows() {
    Tuple params =
        Tuple.of(NAMES, 2, "witness.a.example", CHECKPOINTS, OffsetDateTime.now(ZoneOffset.UTC));

    assertThat(db.pool().preparedQuery(WitnessQueries.TARGET).execute(params).await().size())
        .isZero();
    assertThat(rowsRead(WitnessQueries.TARGET, params)).isLessThan(FEW_ROWS);
  }
}
