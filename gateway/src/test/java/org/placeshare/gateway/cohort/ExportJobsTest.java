package org.placeshare.gateway.cohort;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.gateway.TestPostgres;
import org.placeshare.gateway.storage.Database;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PurposeOfUse;
import org.placeshare.policy.identity.AccessTokens;
import org.placeshare.policy.identity.Caller;
import org.placeshare.policy.identity.JobCallers;
import org.placeshare.policy.identity.SigningKey;

/** Job leases in PostgreSQL: one instance at a time, and another takes over when one lapses. */
class ExportJobsTest {

  /**
   * The jobs store's right to rebuild callers, from a verifier as the gateway's wiring gives it.
   */
  static final JobCallers CALLERS =
      new AccessTokens(SigningKey.generate(), "https://gateway.test", Map.of(), Clock.systemUTC())
          .jobCallers();

  @TempDir static Path dir;
  static Vertx vertx;
  static Database database;

  @BeforeAll
  static void open() throws Exception {
    vertx = Vertx.vertx();
    database = Database.open(vertx, TestPostgres.freshDatabase(), dir).await();
  }

  @AfterAll
  static void close() {
    database.close().await();
    vertx.close().await();
  }

  @Test
  void aLeasedJob_isNobodyElsesUntilTheLeaseLapses_thenResumesFromItsCheckpoint() throws Exception {
    Caller caller =
        CALLERS.resume(
            OdsCode.of("E08000026"), "council-intel", "u", "analyst", PurposeOfUse.of("PUBHLTH"));
    Cohorts cohorts = new Cohorts(database.pool());
    ExportJobs jobs = new ExportJobs(database.pool(), CALLERS);
    Instant now = Instant.parse("2026-11-22T10:00:00Z");
    var cohort =
        cohorts
            .register(
                caller.organisation(),
                caller.clientId(),
                Optional.empty(),
                List.of(NhsNumber.parse("9990000018")),
                now)
            .await();
    var job =
        jobs.create(
                ExportJobs.Kind.EXPORT,
                cohort.id(),
                caller,
                Optional.empty(),
                Optional.empty(),
                "r",
                now,
                false)
            .await();

    var a = jobs.claim("instance-a", Duration.ofSeconds(30)).await();
    assertThat(a).map(ExportJobs.Job::id).hasValue(job.id());
    assertThat(
            jobs.checkpoint(
                    job.id(), "instance-a", 1, new JsonObject().put("k", 1), Duration.ofSeconds(30))
                .await())
        .isTrue();
    assertThat(jobs.claim("instance-b", Duration.ofSeconds(30)).await()).isEmpty();

    // Instance a goes quiet until its lease lapses: the lease's end moved into the past, not
    // slept through, so a slow machine cannot lose the lease before the claim above.
    database
        .pool()
        .preparedQuery(
            "UPDATE export_job SET lease_until = now() - interval '1 second' WHERE id = $1")
        .execute(io.vertx.sqlclient.Tuple.of(job.id()))
        .await();
    var b = jobs.claim("instance-b", Duration.ofSeconds(30)).await();

    assertThat(b).isPresent();
    assertThat(b.get().position()).isEqualTo(1);
    assertThat(b.get().progress().getInteger("k")).isEqualTo(1);
    // The instance that lost the lease can no longer checkpoint or finish the job.
    assertThat(
            jobs.checkpoint(job.id(), "instance-a", 2, new JsonObject(), Duration.ofSeconds(2))
                .await())
        .isFalse();
    assertThat(jobs.complete(job.id(), "instance-a", new JsonObject(), now, now).await()).isFalse();
    assertThat(
            jobs.complete(job.id(), "instance-b", new JsonObject(), now, now.plusSeconds(60))
                .await())
        .isTrue();
  }
}
