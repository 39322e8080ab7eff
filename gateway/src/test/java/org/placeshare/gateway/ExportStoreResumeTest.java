package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Tuple;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.Fhir;
import org.placeshare.policy.identity.SigningKey;

/**
 * A job whose files are in the database, stopped part way on one instance with bytes written past
 * its last checkpoint (a crash between the write and the checkpoint), resumed on another instance
 * that shares only the database: the file it serves holds each member once, nothing of the stray
 * bytes, and is the file its completion event bound.
 */
class ExportStoreResumeTest {

  @TempDir Path dir;
  GatewayFixture first;
  GatewayFixture second;
  HeldGp gp;

  @AfterEach
  void stop() throws Exception {
    if (gp != null) {
      gp.close();
    }
    if (second != null) {
      second.close();
    }
    if (first != null) {
      first.close();
    }
  }

  @Test
  void aJobResumedOnAnotherInstance_servesEachMemberOnce_andNoBytesPastItsCheckpoint()
      throws Exception {
    String database = TestPostgres.freshDatabase();
    Path secret = dir.resolve("pseudonym.secret");
    Files.writeString(secret, com.nimbusds.jose.util.Base64URL.encode(new byte[32]).toString());
    gp = new HeldGp();
    first =
        GatewayFixture.start(
            dir.resolve("a"),
            database,
            SigningKey.generate(),
            c ->
                gp.in(
                    GatewayFixture.withCohorts(
                        c, ExportFleetTest.inTheDatabase(dir.resolve("a")), Optional.of(secret))));
    first.addAgreement("gm-connect-population-health.yaml");
    String token = first.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "PUBHLTH");
    String group = CohortExportTest.registered(first, token, CohortExportTest.everyone(first));
    gp.arm();
    String status = CohortExportTest.kickOff(first, token, group, "$export");
    UUID job = UUID.fromString(status.substring(status.lastIndexOf('/') + 1));
    gp.stopInTheFirstChunk(first);
    first = null;
    int stoppedAt;
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      var client =
          PgBuilder.client().connectingTo(PgConnectOptions.fromUri(database)).using(vertx).build();
      stoppedAt =
          client
              .preparedQuery("SELECT position FROM export_job WHERE id = $1")
              .execute(Tuple.of(job))
              .await()
              .iterator()
              .next()
              .getInteger(0);
      // A line written after the last checkpoint, by an instance that died before it checkpointed.
      client
          .preparedQuery(
              "INSERT INTO export_file_part (job_id, type, start_at, bytes) SELECT id, 'Patient',"
                  + " (progress->'files'->'Patient'->>'bytes')::bigint, $2 FROM export_job WHERE"
                  + " id = $1")
          .execute(
              Tuple.of(
                  job,
                  io.vertx.core.buffer.Buffer.buffer(
                      "{\"resourceType\":\"Patient\",\"id\":\"stray\"}\n")))
          .await();
      client.close().await();
    } finally {
      vertx.close().await();
    }
    assertThat(stoppedAt).as("stopped mid-job").isBetween(1, 19);

    second =
        GatewayFixture.start(
            dir.resolve("b"),
            database,
            SigningKey.generate(),
            c ->
                GatewayFixture.withCohorts(
                    GatewayFixture.sharing(c, dir.resolve("a")),
                    ExportFleetTest.inTheDatabase(dir.resolve("b")),
                    Optional.of(secret)));
    String again =
        new JsonObject(
                second
                    .tokenRequest(
                        second.assertion(
                            GatewayFixture.COUNCIL_CLIENT,
                            SigningKey.readPrivatePem(dir.resolve("a/council.key.pem")),
                            "analyst",
                            "PUBHLTH"))
                    .body())
            .getString("access_token");
    HttpResponse<String> done = CohortExportTest.await(second, again, status);
    assertThat(done.statusCode()).as(done.body()).isEqualTo(200);

    HttpResponse<String> patients =
        second.get(
            "/fhir/bulk-files/" + job + "/Patient.ndjson",
            again,
            "Accept",
            "application/fhir+ndjson");
    assertThat(patients.statusCode()).isEqualTo(200);
    List<String> pseudonyms =
        patients
            .body()
            .lines()
            .map(
                l -> Fhir.json().parseResource(Patient.class, l).getIdentifierFirstRep().getValue())
            .toList();
    assertThat(patients.body()).doesNotContain("stray");
    assertThat(pseudonyms).hasSize(second.people.size());
    assertThat(pseudonyms.stream().collect(Collectors.toSet())).hasSize(second.people.size());
    JsonObject bound =
        second
            .gateway
            .database()
            .pool()
            .preparedQuery(
                "SELECT f FROM audit_event, jsonb_array_elements(detail->'files') f WHERE"
                    + " request_id = $1 AND f->>'name' = 'Patient.ndjson'")
            .execute(Tuple.of(job.toString()))
            .await()
            .iterator()
            .next()
            .getJsonObject(0);
    byte[] body = patients.body().getBytes(StandardCharsets.UTF_8);
    assertThat(bound.getString("sha256"))
        .isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body)));
    assertThat(bound.getLong("bytes")).isEqualTo(body.length);
  }
}
