package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.Fhir;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.policy.identity.SigningKey;

/**
 * A gateway stopped in the middle of an export: the chunk in hand is checkpointed, and the next
 * gateway on the same database and export folder resumes the job from there, writing each member
 * once and auditing each release once; unless the job's client is no longer registered, when the
 * job fails and releases nobody more.
 */
class CohortResumeTest {

  /** One member at a time, so a stop lands in the middle of the job. */
  static GatewayConfig.Cohorts oneByOne(Path dir) {
    return new GatewayConfig.Cohorts(
        30,
        1,
        java.time.Duration.ofSeconds(30),
        java.time.Duration.ofHours(1),
        10,
        2,
        dir.resolve("exports"));
  }

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

  /** An export the council client started, stopped by a gateway stop part of the way through. */
  record Interrupted(String database, Path secret, String status, String job, int stoppedAt) {}

  private Interrupted interruptedExport() throws Exception {
    String database = TestPostgres.freshDatabase();
    Path secret = dir.resolve("pseudonym.secret");
    Files.writeString(secret, com.nimbusds.jose.util.Base64URL.encode(new byte[32]).toString());
    gp = new HeldGp();
    first =
        GatewayFixture.start(
            dir.resolve("a"),
            database,
            SigningKey.generate(),
            c -> gp.in(GatewayFixture.withCohorts(c, oneByOne(dir), Optional.of(secret))));
    first.addAgreement("gm-connect-population-health.yaml");
    String token = first.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "PUBHLTH");
    List<String> everyone = CohortExportTest.everyone(first);
    String group = CohortExportTest.registered(first, token, everyone);
    gp.arm();
    String status = CohortExportTest.kickOff(first, token, group, "$export");
    String job = status.substring(status.lastIndexOf('/') + 1);
    gp.stopInTheFirstChunk(first);
    first = null;
    int stoppedAt = position(database, job);
    assertThat(stoppedAt).as("stopped mid-job").isBetween(1, everyone.size() - 1);
    return new Interrupted(database, secret, status, job, stoppedAt);
  }

  /** The next gateway of the fleet, sharing the first one's folder, with these clients. */
  private GatewayFixture next(Interrupted i, java.util.function.UnaryOperator<GatewayConfig> change)
      throws Exception {
    return GatewayFixture.start(
        dir.resolve("b"),
        i.database(),
        SigningKey.generate(),
        c ->
            change.apply(
                GatewayFixture.withCohorts(
                    GatewayFixture.sharing(c, dir.resolve("a")),
                    oneByOne(dir),
                    Optional.of(i.secret()))));
  }

  @Test
  void aJobInterruptedByAStop_resumesAtTheNextStart_andWritesEachMemberOnce() throws Exception {
    Interrupted interrupted = interruptedExport();
    second = next(interrupted, c -> c);
    var assertion =
        second.assertion(
            GatewayFixture.COUNCIL_CLIENT,
            SigningKey.readPrivatePem(dir.resolve("a/council.key.pem")),
            "analyst",
            "PUBHLTH");
    String again = new JsonObject(second.tokenRequest(assertion).body()).getString("access_token");
    HttpResponse<String> done = CohortExportTest.await(second, again, interrupted.status());

    assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
    JsonObject manifest = new JsonObject(done.body());
    String patients =
        second
            .get(
                CohortExportTest.path(
                    manifest.getJsonArray("output").stream()
                        .map(JsonObject.class::cast)
                        .filter(o -> o.getString("type").equals("Patient"))
                        .findFirst()
                        .orElseThrow()
                        .getString("url")),
                again)
            .body();
    List<String> pseudonyms =
        patients
            .lines()
            .map(
                l -> Fhir.json().parseResource(Patient.class, l).getIdentifierFirstRep().getValue())
            .toList();
    // Everyone held (the fixture's register flags nobody), each exactly once.
    int everyone = second.people.size();
    assertThat(pseudonyms).hasSize(everyone);
    assertThat(pseudonyms.stream().collect(Collectors.toSet())).hasSize(everyone);
    assertThat(releaseEvents(second, interrupted.job())).isEqualTo(everyone);
  }

  @Test
  void aJobWhoseClientIsNoLongerRegistered_failsWhenItResumes_andReleasesNobodyMore()
      throws Exception {
    Interrupted interrupted = interruptedExport();
    // The next start's configuration has dropped the council client.
    second =
        next(
            interrupted,
            c ->
                GatewayFixture.withClients(
                    c,
                    c.clients().stream()
                        .filter(cl -> !cl.id().equals(GatewayFixture.COUNCIL_CLIENT))
                        .toList()));

    Row job = awaitEnded(second, interrupted.job());
    assertThat(job.getString("status")).isEqualTo("failed");
    assertThat(job.getInteger("position")).isEqualTo(interrupted.stoppedAt());
    assertThat(job.getString("error"))
        .isEqualTo(
            "client "
                + GatewayFixture.COUNCIL_CLIENT
                + " is no longer registered for E08000026 and purpose PUBHLTH");
    assertThat(releaseEvents(second, interrupted.job())).isEqualTo(interrupted.stoppedAt());
    // The IG lead sees why in the job's audit event.
    Row failed =
        second
            .gateway
            .database()
            .pool()
            .preparedQuery(
                "SELECT count(*) FROM audit_event WHERE request_id = $1 AND outcome = 'failed'"
                    + " AND detail->>'detail' LIKE '%is no longer registered%'")
            .execute(Tuple.of(interrupted.job()))
            .await()
            .iterator()
            .next();
    assertThat(failed.getLong(0)).isEqualTo(1);
  }

  private static Row awaitEnded(GatewayFixture f, String job) throws Exception {
    for (int i = 0; i < 200; i++) {
      Row row =
          f.gateway
              .database()
              .pool()
              .preparedQuery("SELECT status, position, error FROM export_job WHERE id = $1")
              .execute(Tuple.of(UUID.fromString(job)))
              .await()
              .iterator()
              .next();
      if (!List.of("queued", "running").contains(row.getString("status"))) {
        return row;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("the job did not end");
  }

  private static int position(String database, String job) {
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      var client =
          io.vertx.pgclient.PgBuilder.client()
              .connectingTo(io.vertx.pgclient.PgConnectOptions.fromUri(database))
              .using(vertx)
              .build();
      int position =
          client
              .preparedQuery("SELECT position FROM export_job WHERE id = $1")
              .execute(io.vertx.sqlclient.Tuple.of(java.util.UUID.fromString(job)))
              .await()
              .iterator()
              .next()
              .getInteger(0);
      client.close().await();
      return position;
    } finally {
      vertx.close().await();
    }
  }

  private static long releaseEvents(GatewayFixture f, String job) {
    return f.gateway
        .database()
        .pool()
        .preparedQuery(
            "SELECT count(*) FROM audit_event WHERE request_id = $1 AND nhs_number IS NOT NULL")
        .execute(io.vertx.sqlclient.Tuple.of(job))
        .await()
        .iterator()
        .next()
        .getLong(0);
  }
}
