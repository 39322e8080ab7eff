package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.Fhir;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.policy.identity.SigningKey;

/**
 * Export files kept in the database ({@code cohorts.store: database}): two gateway instances on one
 * PostgreSQL and no shared folder; a job run on one is served, byte for byte, by the other, as its
 * completion event bound it; its bytes go with the job; a database that refuses them mid-file fails
 * the job, audited, with nothing served.
 */
class ExportFleetTest {

  /** One member at a time, in chunks of 8: the 20 people are three appends to each file. */
  static GatewayConfig.Cohorts inTheDatabase(Path dir) {
    return new GatewayConfig.Cohorts(
        30,
        1,
        Duration.ofSeconds(30),
        Duration.ofHours(1),
        10,
        2,
        dir.resolve("exports"),
        GatewayConfig.Cohorts.FileStore.DATABASE);
  }

  @TempDir static Path dir;
  static String database;
  static Path secret;
  static GatewayFixture a;
  static GatewayFixture b;
  static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    database = TestPostgres.freshDatabase();
    secret = dir.resolve("pseudonym.secret");
    Files.writeString(secret, com.nimbusds.jose.util.Base64URL.encode(new byte[32]).toString());
    a =
        GatewayFixture.start(
            dir.resolve("a"),
            database,
            SigningKey.generate(),
            c ->
                GatewayFixture.withCohorts(
                    c, inTheDatabase(dir.resolve("a")), Optional.of(secret)));
    a.addAgreement("gm-connect-population-health.yaml");
  }

  @AfterAll
  static void stop() throws Exception {
    if (b != null) {
      b.close();
    }
    if (a != null) {
      a.close();
    }
  }

  /** The second instance: same database, its own data folder (no export folder in common). */
  private static GatewayFixture b() throws Exception {
    if (b == null) {
      b =
          GatewayFixture.start(
              dir.resolve("b"),
              database,
              a.gpConsentKey,
              c ->
                  GatewayFixture.withCohorts(
                      GatewayFixture.sharing(c, dir.resolve("a")),
                      inTheDatabase(dir.resolve("b")),
                      Optional.of(secret)));
    }
    return b;
  }

  private static String analyst(GatewayFixture at) throws Exception {
    return token(at, "PUBHLTH");
  }

  /** A token of the council's client from {@code at}, asked with its one key. */
  private static String token(GatewayFixture at, String purpose) throws Exception {
    var r =
        at.tokenRequest(
            at.assertion(
                GatewayFixture.COUNCIL_CLIENT,
                a.clientKeys.get(GatewayFixture.COUNCIL_CLIENT),
                "analyst",
                purpose));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getString("access_token");
  }

  /** An export of everyone, kicked off at {@code at} and awaited there; its status URL. */
  private static String exported(GatewayFixture at, String token) throws Exception {
    String group = CohortExportTest.registered(at, token, CohortExportTest.everyone(at));
    String status = CohortExportTest.kickOff(at, token, group, "$export");
    HttpResponse<String> done = CohortExportTest.await(at, token, status);
    assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
    return status;
  }

  private static HttpResponse<byte[]> download(GatewayFixture at, String token, String url)
      throws Exception {
    return http.send(
        HttpRequest.newBuilder(at.url(CohortExportTest.path(url)))
            .header("Authorization", "Bearer " + token)
            .header("Accept", "application/fhir+ndjson")
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  private static long count(String sql, Object... params) {
    return a.gateway
        .database()
        .pool()
        .preparedQuery(sql)
        .execute(Tuple.from(params))
        .await()
        .iterator()
        .next()
        .getLong(0);
  }

  private static long parts(String job) {
    return count("SELECT count(*) FROM export_file_part WHERE job_id = $1", UUID.fromString(job));
  }

  private static String job(String status) {
    return status.substring(status.lastIndexOf('/') + 1);
  }

  @Test
  void anExportRunOnOneInstance_isServedByTheOther_byteForByte_asItsAuditBoundIt()
      throws Exception {
    String atA = analyst(a);
    // Run and finished on A alone: B starts after, and has never seen the job or its bytes.
    String status = exported(a, atA);
    String job = job(status);
    GatewayFixture other = b();
    String atB = analyst(other);

    HttpResponse<String> manifestAtB = other.get(CohortExportTest.path(status), atB);
    assertThat(manifestAtB.statusCode()).as(manifestAtB.body()).isEqualTo(200);
    JsonObject manifest = new JsonObject(manifestAtB.body());
    JsonArray output = manifest.getJsonArray("output").copy();
    manifest.getJsonArray("error").forEach(output::add);
    assertThat(output).isNotEmpty();
    Map<String, JsonObject> bound = new LinkedHashMap<>();
    a.gateway
        .database()
        .pool()
        .preparedQuery("SELECT detail FROM audit_event WHERE request_id = $1 AND detail ? 'files'")
        .execute(Tuple.of(job))
        .await()
        .forEach(
            r ->
                ((JsonObject) r.getValue("detail"))
                    .getJsonArray("files")
                    .forEach(f -> bound.put(((JsonObject) f).getString("name"), (JsonObject) f)));
    assertThat(bound).hasSize(output.size());
    for (Object o : output) {
      JsonObject item = (JsonObject) o;
      String url = item.getString("url");
      HttpResponse<byte[]> fromB = download(other, atB, url);
      HttpResponse<byte[]> fromA = download(a, atA, url);

      assertThat(fromB.statusCode()).isEqualTo(200);
      assertThat(fromB.headers().firstValue("Content-Type")).hasValue("application/fhir+ndjson");
      assertThat(fromB.body()).isEqualTo(fromA.body());
      JsonObject file = bound.get(url.substring(url.lastIndexOf('/') + 1));
      assertThat(file.getString("sha256"))
          .isEqualTo(
              HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(fromB.body())));
      assertThat(file.getLong("bytes")).isEqualTo(fromB.body().length);
      assertThat(file.getLong("count"))
          .isEqualTo(item.getLong("count"))
          .isEqualTo(
              new String(fromB.body(), java.nio.charset.StandardCharsets.UTF_8).lines().count());
    }
    // Nothing of it on either machine's disk: the database holds the files.
    assertThat(dir.resolve("a/exports").resolve(job)).doesNotExist();
    assertThat(dir.resolve("b/exports").resolve(job)).doesNotExist();
    // The owner rule holds at B: the same client asking for another purpose finds no such job.
    String otherPurpose = token(other, "HOPERAT");
    assertThat(download(other, otherPurpose, output.getJsonObject(0).getString("url")).statusCode())
        .isEqualTo(404);
  }

  @Test
  void aCancelledJob_andAnExpiredOne_leaveNoStoredBytes() throws Exception {
    String token = analyst(a);
    String cancelled = exported(a, token);
    String expired = exported(a, token);
    assertThat(parts(job(cancelled))).isPositive();
    assertThat(parts(job(expired))).isPositive();

    assertThat(a.delete(CohortExportTest.path(cancelled), token).statusCode()).isEqualTo(202);
    assertThat(parts(job(cancelled))).isZero();
    // Past its expiry: the next sweep deletes the job, and its bytes with it.
    a.gateway
        .database()
        .pool()
        .preparedQuery("UPDATE export_job SET expires_at = $2 WHERE id = $1")
        .execute(
            Tuple.of(
                UUID.fromString(job(expired)),
                GatewayFixture.CLOCK.instant().minusSeconds(60).atOffset(java.time.ZoneOffset.UTC)))
        .await();
    for (int i = 0;
        i < 100
            && count("SELECT count(*) FROM export_job WHERE id = $1", UUID.fromString(job(expired)))
                > 0;
        i++) {
      Thread.sleep(100);
    }
    assertThat(
            count("SELECT count(*) FROM export_job WHERE id = $1", UUID.fromString(job(expired))))
        .isZero();
    assertThat(parts(job(expired))).isZero();
    // No part of any job the database no longer has.
    assertThat(
            count(
                "SELECT count(*) FROM export_file_part p WHERE NOT EXISTS (SELECT 1 FROM"
                    + " export_job j WHERE j.id = p.job_id)"))
        .isZero();
  }

  @Test
  void aDatabaseThatRefusesTheBytesMidFile_failsTheJob_audited_andServesNothing() throws Exception {
    String token = analyst(a);
    var pool = a.gateway.database().pool();
    // The first append to each file goes in; the second (the next chunk's) is refused, as a full
    // tablespace would refuse it.
    pool.query(
            "CREATE TABLE refuse_parts (job_id uuid);"
                + " CREATE FUNCTION refuse_part() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF"
                + " NEW.start_at > 0 AND EXISTS (SELECT 1 FROM refuse_parts) THEN RAISE EXCEPTION"
                + " 'no space' USING ERRCODE = 'disk_full'; END IF; RETURN NEW; END $$;"
                + " CREATE TRIGGER refuse_part BEFORE INSERT ON export_file_part FOR EACH ROW"
                + " EXECUTE FUNCTION refuse_part(); INSERT INTO refuse_parts VALUES (NULL)")
        .execute()
        .await();
    try {
      String group = CohortExportTest.registered(a, token, CohortExportTest.everyone(a));
      String status = CohortExportTest.kickOff(a, token, group, "$export");

      HttpResponse<String> failed = CohortExportTest.await(a, token, status);

      assertThat(failed.statusCode()).isEqualTo(500);
      assertThat(
              Fhir.json()
                  .parseResource(OperationOutcome.class, failed.body())
                  .getIssueFirstRep()
                  .getDiagnostics())
          .isEqualTo(
              "the job failed: the export's files could not be written: the database refused"
                  + " the export's bytes (SQLSTATE 53100)");
      assertThat(
              count(
                  "SELECT count(*) FROM audit_event WHERE request_id = $1 AND outcome = 'failed'"
                      + " AND detail->>'detail' LIKE '%SQLSTATE 53100%'",
                  job(status)))
          .isEqualTo(1);
      // Some bytes went in before the refusal; none is served as a file.
      assertThat(parts(job(status))).isPositive();
      String patients =
          GatewayFixture.PUBLIC_URL + "/fhir/bulk-files/" + job(status) + "/Patient.ndjson";
      assertThat(download(a, token, patients).statusCode()).isEqualTo(404);
    } finally {
      pool.query("DROP TRIGGER refuse_part ON export_file_part; DROP TABLE refuse_parts")
          .execute()
          .await();
    }
  }
}
