package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Provenance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.Fhir;
import org.placeshare.fhir.synthetic.FhirSourceServer;
import org.placeshare.fhir.synthetic.SyntheticPerson;
import org.placeshare.fhir.synthetic.SyntheticPopulation;
import org.placeshare.fhir.synthetic.SyntheticRecords;
import org.placeshare.gateway.register.PatientRegister;
import org.placeshare.policy.NhsNumber;

/**
 * A flag (national data opt-out, S-flag) must not be learnt from the gateway's answers: the council
 * is a source itself and gets its own records of a flagged person as of anyone; the other agencies'
 * sources answer as sources that do not hold the person, in the view and in the metrics.
 */
class FlagConcealmentTest {

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static FhirSourceServer council;
  static String analyst;

  /** Held by the council's own source (every third person), the GP and the trust. */
  static SyntheticPerson inOwnSource;

  /** Held by the GP and the trust, not by the council. */
  static SyntheticPerson notInOwnSource;

  @BeforeAll
  static void start() throws Exception {
    List<SyntheticPerson> people = SyntheticPopulation.generate(20, 42);
    council =
        FhirSourceServer.start(
            0, SyntheticRecords.forSource(SyntheticRecords.Kind.COUNCIL, "council", people));
    fixture =
        GatewayFixture.start(
            dir,
            TestPostgres.freshDatabase(),
            org.placeshare.policy.identity.SigningKey.generate(),
            c -> GatewayFixture.withSourceAt(c, "council-asc", council));
    inOwnSource = fixture.people.get(0);
    notInOwnSource = fixture.people.get(1);
    fixture
        .register()
        .upsert(
            List.of(
                new PatientRegister.Entry(inOwnSource.nhsNumber(), true, false, Optional.empty()),
                new PatientRegister.Entry(
                    notInOwnSource.nhsNumber(), true, false, Optional.empty())),
            GatewayFixture.CLOCK.instant())
        .await();
    analyst = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
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
  void view_optedOutPersonInTheCouncilsOwnSource_givesItsOwnRecordsAndNothingFromOthers()
      throws Exception {
    HttpResponse<String> r = fixture.everything(inOwnSource.nhsNumber().toString(), analyst);

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    Bundle bundle = Fhir.json().parseResource(Bundle.class, r.body());
    Set<String> types =
        bundle.getEntry().stream().map(e -> e.getResource().fhirType()).collect(Collectors.toSet());
    assertThat(types).contains("Patient", "EpisodeOfCare");
    // Nothing of the GP's or the trust's, and not a word about them: as if they held nobody.
    assertThat(types).doesNotContain("Condition", "Encounter", "OperationOutcome");
    // One source released: one Provenance.
    assertThat(bundle.getEntry()).filteredOn(e -> e.getResource() instanceof Provenance).hasSize(1);
    assertThat(r.body()).doesNotContain("gp-y90001").doesNotContain("acute-r9a");
  }

  @Test
  void view_optedOutPersonNotInOwnSource_isAnsweredAndCountedAsSomeoneNobodyHolds()
      throws Exception {
    NhsNumber unknown =
        SyntheticPopulation.generate(40, 7).stream()
            .map(SyntheticPerson::nhsNumber)
            .filter(n -> fixture.people.stream().noneMatch(p -> p.nhsNumber().equals(n)))
            .findFirst()
            .orElseThrow();

    Map<String, Double> before = counters();
    HttpResponse<String> nobody = fixture.everything(unknown.toString(), analyst);
    Map<String, Double> afterNobody = counters();
    HttpResponse<String> flagged =
        fixture.everything(notInOwnSource.nhsNumber().toString(), analyst);
    Map<String, Double> afterFlagged = counters();

    assertThat(flagged.statusCode()).isEqualTo(404).isEqualTo(nobody.statusCode());
    assertThat(diagnostics(flagged))
        .isEqualTo(diagnostics(nobody))
        .isEqualTo("no permitted source holds this person");
    // The metrics cannot tell them apart either: the same decisions, lookups and answers.
    assertThat(delta(afterNobody, afterFlagged)).isEqualTo(delta(before, afterNobody));
  }

  private static String diagnostics(HttpResponse<String> r) {
    return Fhir.json()
        .parseResource(OperationOutcome.class, r.body())
        .getIssueFirstRep()
        .getDiagnostics();
  }

  /** The counters a decision, a lookup or an answer moves, from the management listener. */
  private static Map<String, Double> counters() throws Exception {
    Map<String, Double> values = new HashMap<>();
    for (String line : fixture.management("/metrics").body().lines().toList()) {
      if (line.startsWith("placeshare_decisions_total")
          || line.startsWith("placeshare_source_fetch_seconds_count")
          || line.startsWith("placeshare_http_requests_seconds_count")
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
