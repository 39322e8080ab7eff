package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.Fhir;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.policy.identity.SigningKey;

/**
 * A disk that will not take an export's files: the job fails and says so in an OperationOutcome,
 * the failure is audited, and the gateway goes on serving (a summary, which writes no files, still
 * completes).
 */
class CohortFailureTest {

  @TempDir static Path dir;
  static GatewayFixture fixture;

  @BeforeAll
  static void start() throws Exception {
    // The export folder's place is taken by a file: no job folder can be made under it.
    Path blocked = Files.writeString(dir.resolve("exports"), "not a folder");
    GatewayConfig.Cohorts cohorts =
        new GatewayConfig.Cohorts(
            30, 4, java.time.Duration.ofSeconds(30), java.time.Duration.ofHours(1), 10, 2, blocked);
    fixture =
        GatewayFixture.start(
            dir.resolve("gw"),
            TestPostgres.freshDatabase(),
            SigningKey.generate(),
            c -> GatewayFixture.withCohorts(c, cohorts, Optional.empty()));
    fixture.addAgreement("gm-connect-population-health.yaml");
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void anExportWhoseFilesCannotBeWritten_failsWithAClearOutcome_andIsAudited() throws Exception {
    String token = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "PUBHLTH");
    String group =
        CohortExportTest.registered(
            fixture, token, CohortExportTest.everyone(fixture).subList(0, 3));
    String status = CohortExportTest.kickOff(fixture, token, group, "$export");
    String job = status.substring(status.lastIndexOf('/') + 1);

    HttpResponse<String> failed = CohortExportTest.await(fixture, token, status);

    assertThat(failed.statusCode()).isEqualTo(500);
    OperationOutcome outcome = Fhir.json().parseResource(OperationOutcome.class, failed.body());
    assertThat(outcome.getIssueFirstRep().getDiagnostics())
        .startsWith("the job failed: the export's files could not be prepared");
    long audited =
        fixture
            .gateway
            .database()
            .pool()
            .preparedQuery(
                "SELECT count(*) FROM audit_event WHERE request_id = $1 AND outcome = 'failed'")
            .execute(io.vertx.sqlclient.Tuple.of(job))
            .await()
            .iterator()
            .next()
            .getLong(0);
    assertThat(audited).isEqualTo(1);
    // The gateway goes on: figures need no files.
    HttpResponse<String> summary =
        CohortExportTest.await(
            fixture, token, CohortExportTest.kickOff(fixture, token, group, "$summary"));
    assertThat(summary.statusCode()).isEqualTo(200);
    assertThat(fixture.management("/metrics").body())
        .contains("placeshare_cohort_jobs_total{kind=\"export\",status=\"failed\"} 1.0")
        .contains("placeshare_cohort_jobs_total{kind=\"summary\",status=\"complete\"} 1.0");
  }
}
