package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.synthetic.FhirSourceServer;
import org.placeshare.fhir.synthetic.SyntheticPerson;
import org.placeshare.fhir.synthetic.SyntheticPopulation;
import org.placeshare.fhir.synthetic.SyntheticRecords;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.gateway.register.PatientRegister;
import org.placeshare.policy.NhsNumber;

/**
 * A cohort export conceals a flag (national data opt-out, restricted record) as the person view
 * does: another agency's source refused only for the flag answers as a source that does not hold
 * the member, or as failed when it is known to be failing, and the metrics count it under its
 * decision without the flag. A cohort of one flagged member then looks, in the manifest and in the
 * metrics, exactly like a cohort of one member nobody holds.
 *
 * <p>Here the council's own source is up and the GP practice's is down: the flag hides the GP's and
 * the trust's sources from the council.
 */
class CohortFlagConcealmentTest {

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static FhirSourceServer council;

  /** Opted out; held by the GP and the trust, not by the council. */
  static SyntheticPerson flagged;

  /** A valid NHS number that no source holds, and no flag. */
  static NhsNumber nobodyHolds;

  @BeforeAll
  static void start() throws Exception {
    List<SyntheticPerson> people = SyntheticPopulation.generate(20, 42);
    council =
        FhirSourceServer.start(
            0, SyntheticRecords.forSource(SyntheticRecords.Kind.COUNCIL, "council", people));
    byte[] key = new byte[32];
    new java.security.SecureRandom().nextBytes(key);
    Files.createDirectories(dir);
    Path secret = dir.resolve("pseudonym.secret");
    Files.writeString(secret, com.nimbusds.jose.util.Base64URL.encode(key).toString());
    fixture =
        GatewayFixture.start(
            dir.resolve("gw"),
            TestPostgres.freshDatabase(),
            org.placeshare.policy.identity.SigningKey.generate(),
            c ->
                GatewayFixture.withSources(
                    GatewayFixture.withCohorts(
                        c, CohortExportTest.cohorts(dir.resolve("exports")), Optional.of(secret)),
                    councilUpGpDown(c.sources())));
    fixture.addAgreement("gm-connect-population-health.yaml");
    flagged = fixture.people.get(1);
    nobodyHolds =
        SyntheticPopulation.generate(40, 7).stream()
            .map(SyntheticPerson::nhsNumber)
            .filter(n -> fixture.people.stream().noneMatch(p -> p.nhsNumber().equals(n)))
            .findFirst()
            .orElseThrow();
    fixture
        .register()
        .upsert(
            List.of(new PatientRegister.Entry(flagged.nhsNumber(), true, false, Optional.empty())),
            GatewayFixture.CLOCK.instant())
        .await();
  }

  /** The council's source at the running council server; the GP's at the fixture's closed port. */
  private static List<GatewayConfig.Source> councilUpGpDown(List<GatewayConfig.Source> sources) {
    String closed =
        sources.stream()
            .filter(s -> s.id().equals("council-asc"))
            .findFirst()
            .orElseThrow()
            .baseUrl();
    return sources.stream()
        .map(
            s ->
                switch (s.id()) {
                  case "council-asc" ->
                      new GatewayConfig.Source(
                          s.id(),
                          s.organisation(),
                          council.baseUrl().toString(),
                          Duration.ofSeconds(5),
                          s.resourceTypes());
                  case "gp-y90001" ->
                      new GatewayConfig.Source(
                          s.id(),
                          s.organisation(),
                          closed,
                          Duration.ofSeconds(2),
                          s.resourceTypes());
                  default -> s;
                })
        .toList();
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
    if (council != null) {
      council.close();
    }
  }

  @Test
  void export_flaggedMemberWhoseHiddenSourceIsDown_hasTheManifestOfAMemberNobodyHolds()
      throws Exception {
    String token = analyst();

    // Nobody holds this member and the GP cannot be read: failed, as the GP may hold them.
    Export nobody = export(token, nobodyHolds);
    Export flaggedOne = export(token, flagged.nhsNumber());

    assertThat(nobody.counts())
        .isEqualTo(
            new JsonObject()
                .put("members", 1)
                .put("included", 0)
                .put("leftOut", 0)
                .put("failed", 1));
    assertThat(flaggedOne.counts()).isEqualTo(nobody.counts());
    assertThat(flaggedOne.outputs()).isEqualTo(nobody.outputs()).isEmpty();
    assertThat(flaggedOne.errors())
        .isEqualTo(nobody.errors())
        .singleElement()
        .asString()
        .contains("source gp-y90001 could not be read for 1 members");
  }

  @Test
  void export_flaggedMember_movesTheSameMetricSeriesAsAMemberNobodyHolds() throws Exception {
    String token = analyst();

    Map<String, Double> before = counters();
    export(token, nobodyHolds);
    Map<String, Double> afterNobody = counters();
    export(token, flagged.nhsNumber());
    Map<String, Double> afterFlagged = counters();

    Map<String, Double> nobody = delta(before, afterNobody);
    assertThat(nobody)
        .containsEntry(
            "placeshare_decisions_total{agreement=\"gm-connect-population-health\",effect=\"permit\"}",
            3.0);
    // The same decisions (the GP's and the trust's as without the opt-out), the same outcome.
    assertThat(delta(afterNobody, afterFlagged)).isEqualTo(nobody);
  }

  @Test
  void export_flaggedMember_keepsTheTrueReasonForTheIgLead() throws Exception {
    String token = analyst();
    String status = kickOff(token, flagged.nhsNumber());
    String job = status.substring(status.lastIndexOf('/') + 1);
    assertThat(CohortExportTest.await(fixture, token, status).statusCode()).isEqualTo(200);

    String ig = fixture.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT");
    HttpResponse<String> found =
        fixture.get("/audit/events?action=cohort-export&request=" + job, ig);

    assertThat(found.statusCode()).as(found.body()).isEqualTo(200);
    assertThat(found.body())
        .contains("1 failed (1 of them with a national data opt-out or restricted record)");
  }

  /** What the recipient of a finished export sees: its counts, its files and its error file. */
  record Export(JsonObject counts, List<String> outputs, List<String> errors) {}

  private static Export export(String token, NhsNumber member) throws Exception {
    HttpResponse<String> done = CohortExportTest.await(fixture, token, kickOff(token, member));
    assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
    JsonObject manifest = new JsonObject(done.body());
    JsonObject counts =
        manifest
            .getJsonObject("extension")
            .getJsonObject("https://placeshare.example/fhir/StructureDefinition/cohort-counts");
    List<String> outputs =
        manifest.getJsonArray("output").stream()
            .map(o -> ((JsonObject) o).getString("type"))
            .toList();
    JsonArray errors = manifest.getJsonArray("error");
    List<String> errorFiles =
        errors.stream()
            .map(
                o -> {
                  try {
                    String url = ((JsonObject) o).getString("url");
                    return fixture.get(CohortExportTest.path(url), token).body();
                  } catch (Exception e) {
                    throw new AssertionError(e);
                  }
                })
            .toList();
    return new Export(counts, outputs, errorFiles);
  }

  private static String kickOff(String token, NhsNumber member) throws Exception {
    String group = CohortExportTest.registered(fixture, token, List.of(member.toString()));
    return CohortExportTest.kickOff(fixture, token, group, "$export");
  }

  private static String analyst() throws Exception {
    return fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "PUBHLTH");
  }

  /** The counters a member's decisions and outcome move, from the management listener. */
  private static Map<String, Double> counters() throws Exception {
    Map<String, Double> values = new HashMap<>();
    for (String line : fixture.management("/metrics").body().lines().toList()) {
      if (line.startsWith("placeshare_decisions_total")
          || line.startsWith("placeshare_cohort_members_total")
          || line.startsWith("placeshare_cohort_jobs_total")
          || line.startsWith("placeshare_source_fetch_seconds_count")
          || line.startsWith("placeshare_records_released_total")) {
        int space = line.lastIndexOf(' ');
        values.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
      }
    }
    return values;
  }

  private static Map<String, Double> delta(Map<String, Double> from, Map<String, Double> to) {
    Map<String, Double> delta = new HashMap<>();
    to.forEach(
        (series, value) -> {
          double d = value - from.getOrDefault(series, 0.0);
          if (d != 0) {
            delta.put(series, d);
          }
        });
    return delta;
  }
}
