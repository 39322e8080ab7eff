package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.policy.NhsNumber;

/**
 * The gateway's pool keeps its connections' prepared statements (issue 22). When another instance
 * of a newer version migrates the shared database while this one runs, PostgreSQL re-plans the
 * statements this one holds; the views go on answering and being audited, because no statement
 * takes a table's columns as they come ({@code SELECT *}), whose result would change shape.
 */
class PreparedStatementsAcrossMigrationTest {

  /** Views asked at once: as many as the pool's connections, so each holds the statements. */
  private static final int AT_ONCE = 8;

  @TempDir static Path dir;
  static String database;
  static GatewayFixture fixture;

  @BeforeAll
  static void start() throws Exception {
    database = TestPostgres.freshDatabase();
    fixture = GatewayFixture.start(dir, database);
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void views_afterAnotherInstanceAddsAColumnToEveryTable_stillAnswerAndAreAudited()
      throws Exception {
    NhsNumber person = fixture.firstPerson().nhsNumber();
    String clinician = fixture.token(GatewayFixture.AE_CLIENT, "clinician", "TREAT");
    String consent = fixture.gpConsent("prepared-across-migration", person, "TREAT");
    Callable<HttpResponse<String>> view =
        () -> fixture.everything(person.toString(), clinician, "X-Consent-Token", consent);

    assertThat(statuses(view)).containsOnly(200);
    int audited = permittedViews(person);

    int altered = migrateAsAnotherInstance();
    assertThat(altered).isGreaterThan(20);

    assertThat(statuses(view)).containsOnly(200);
    assertThat(statuses(view)).containsOnly(200);
    assertThat(permittedViews(person)).isEqualTo(audited + 2 * AT_ONCE);
  }

  /** {@link #AT_ONCE} views at once, their statuses. */
  private static List<Integer> statuses(Callable<HttpResponse<String>> view) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(AT_ONCE);
    try {
      List<Future<HttpResponse<String>>> asked = new ArrayList<>();
      for (int i = 0; i < AT_ONCE; i++) {
        asked.add(pool.submit(view));
      }
      List<Integer> statuses = new ArrayList<>();
      for (Future<HttpResponse<String>> f : asked) {
        statuses.add(f.get().statusCode());
      }
      return statuses;
    } finally {
      pool.shutdown();
    }
  }

  private static int permittedViews(NhsNumber person) {
    return (int)
        fixture.auditFor(person).stream()
            .filter(r -> "permitted".equals(r.getString("outcome")))
            .count();
  }

  /**
   * What a newer version's migration does to a shared database, on a connection of its own: a
   * column added to every table of the gateway's, and an index, which invalidate the plans of every
   * statement that reads them. Returns the number of tables altered.
   */
  private static int migrateAsAnotherInstance() {
    Vertx vertx = Vertx.vertx();
    try {
      SqlClient other =
          PgBuilder.client().connectingTo(PgConnectOptions.fromUri(database)).using(vertx).build();
      List<String> tables = new ArrayList<>();
      for (Row row :
          other
              .query(
                  "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                      + " AND tablename <> 'schema_migration' ORDER BY tablename")
              .execute()
              .await()) {
        tables.add(row.getString(0));
      }
      for (String table : tables) {
        other
            .query("ALTER TABLE " + table + " ADD COLUMN later_version text DEFAULT 'x'")
            .execute()
            .await();
      }
      other
          .query("CREATE INDEX audit_event_later ON audit_event (later_version, recorded_at)")
          .execute()
          .await();
      other.close().await();
      return tables.size();
    } finally {
      vertx.close().await();
    }
  }
}
