package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.Fhir;

/**
 * The person-level view's shape: one merged Patient, Provenance per source, missing sources said.
 */
class PersonViewTest {

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static Bundle view;

  @BeforeAll
  static void start() throws Exception {
    fixture = GatewayFixture.start(dir, TestPostgres.freshDatabase());
    String clinician = fixture.token(GatewayFixture.AE_CLIENT, "clinician", "ETREAT");
    HttpResponse<String> r =
        fixture.everything(
            fixture.firstPerson().nhsNumber().toString(),
            clinician,
            "X-Emergency-Reason",
            "collapsed in the waiting room");
    assertThat(r.statusCode()).isEqualTo(200);
    view = Fhir.json().parseResource(Bundle.class, r.body());
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  private static <T extends Resource> List<T> all(Class<T> type) {
    return view.getEntry().stream()
        .map(Bundle.BundleEntryComponent::getResource)
        .filter(type::isInstance)
        .map(type::cast)
        .toList();
  }

  @Test
  void view_holdsOneMergedPatient_whichEverySourcesRecordsPointAt() {
    List<Bundle.BundleEntryComponent> patients =
        view.getEntry().stream().filter(e -> e.getResource() instanceof Patient).toList();

    assertThat(patients).hasSize(1);
    String patientUrl = patients.get(0).getFullUrl();
    assertThat(patientUrl).startsWith("urn:uuid:");
    List<Encounter> encounters = all(Encounter.class);
    assertThat(encounters)
        .isNotEmpty()
        .allSatisfy(e -> assertThat(e.getSubject().getReference()).isEqualTo(patientUrl));
  }

  @Test
  void view_hasAProvenancePerSource_namingOrganisationAndAgreement() {
    List<Provenance> provenances = all(Provenance.class);

    assertThat(provenances)
        .extracting(p -> p.getAgentFirstRep().getWho().getIdentifier().getValue())
        .containsExactlyInAnyOrder("Y90001", "R9A");
    assertThat(provenances)
        .allSatisfy(
            p -> {
              assertThat(p.getPolicy().get(0).getValue())
                  .startsWith("urn:placeshare:agreement:coventry-direct-care@1#");
              assertThat(p.getTarget()).isNotEmpty();
              assertThat(p.getRecorded()).isNotNull();
            });
    int targets = provenances.stream().mapToInt(p -> p.getTarget().size()).sum();
    assertThat(targets).isEqualTo(view.getTotal());
  }

  @Test
  void view_saysInGeneralTermsWhichSourceIsNotShared() {
    List<String> outcomes =
        all(OperationOutcome.class).stream()
            .map(o -> o.getIssueFirstRep().getDiagnostics())
            .toList();

    assertThat(outcomes)
        .containsExactly(
            "source council-asc (E08000026) is not shared with you for this request; its records"
                + " are missing from this view");
  }

  private static Bundle everything(String query) throws Exception {
    String clinician = fixture.token(GatewayFixture.AE_CLIENT, "clinician", "ETREAT");
    HttpResponse<String> r =
        fixture.everything(
            fixture.firstPerson().nhsNumber() + query,
            clinician,
            "X-Emergency-Reason",
            "collapsed in the waiting room");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return Fhir.json().parseResource(Bundle.class, r.body());
  }

  private static List<String> types(Bundle bundle) {
    return bundle.getEntry().stream()
        .filter(e -> e.getSearch().getMode() == Bundle.SearchEntryMode.MATCH)
        .map(e -> e.getResource().fhirType())
        .distinct()
        .sorted()
        .toList();
  }

  @Test
  void type_narrowsTheViewToThoseTypes_keepingThePatient() throws Exception {
    assertThat(types(view)).contains("Condition", "Encounter", "Patient");

    assertThat(types(everything("?_type=Encounter"))).containsExactly("Encounter", "Patient");
  }

  @Test
  void since_keepsOnlyRecordsChangedSince() throws Exception {
    assertThat(types(everything("?_since=2026-09-01T00:00:00Z")))
        .contains("Condition", "Encounter", "Patient");
    assertThat(types(everything("?_since=2026-11-01T00:00:00Z"))).containsExactly("Patient");
  }

  @Test
  void badTypeOrSince_isA400() throws Exception {
    String clinician = fixture.token(GatewayFixture.AE_CLIENT, "clinician", "ETREAT");
    String nhs = fixture.firstPerson().nhsNumber().toString();

    assertThat(fixture.everything(nhs + "?_type=Nonsense", clinician).statusCode()).isEqualTo(400);
    assertThat(fixture.everything(nhs + "?_since=yesterday", clinician).statusCode())
        .isEqualTo(400);
  }

  @Test
  void dataQuality_findsThePlantedBirthDateDisagreement_andReleasesNothing() throws Exception {
    String clinician = fixture.token(GatewayFixture.AE_CLIENT, "clinician", "ETREAT");
    String planted =
        fixture
            .people
            .get(org.placeshare.fhir.synthetic.SyntheticRecords.PLANTED_DISAGREEMENT)
            .nhsNumber()
            .toString();

    HttpResponse<String> r =
        fixture.get(
            "/fhir/Patient/" + planted + "/$data-quality",
            clinician,
            "X-Emergency-Reason",
            "checking records");
    HttpResponse<String> clean =
        fixture.get(
            "/fhir/Patient/" + fixture.firstPerson().nhsNumber() + "/$data-quality",
            clinician,
            "X-Emergency-Reason",
            "checking records");

    assertThat(r.statusCode()).isEqualTo(200);
    OperationOutcome outcome = Fhir.json().parseResource(OperationOutcome.class, r.body());
    assertThat(outcome.getIssue())
        .extracting(OperationOutcome.OperationOutcomeIssueComponent::getDiagnostics)
        .contains("data quality: acute-r9a disagrees with gp-y90001 on birth date");
    assertThat(r.body()).doesNotContain("\"birthDate\"");
    assertThat(clean.body()).contains("data quality: the 2 sources holding the person agree");
  }

  @Test
  void dataQuality_countsItsFindingsInTheMetric() throws Exception {
    String clinician = fixture.token(GatewayFixture.AE_CLIENT, "clinician", "ETREAT");
    String planted =
        fixture
            .people
            .get(org.placeshare.fhir.synthetic.SyntheticRecords.PLANTED_DISAGREEMENT)
            .nhsNumber()
            .toString();
    double before = dataQualityFindings();

    HttpResponse<String> r =
        fixture.get(
            "/fhir/Patient/" + planted + "/$data-quality",
            clinician,
            "X-Emergency-Reason",
            "checking records");

    assertThat(r.statusCode()).isEqualTo(200);
    // The planted disagreement is one finding: the hospital's birth date.
    assertThat(dataQualityFindings() - before).isEqualTo(1.0);
  }

  /** The data-quality findings counted so far, over every source and field. */
  private static double dataQualityFindings() throws Exception {
    return fixture
        .management("/metrics")
        .body()
        .lines()
        .filter(l -> l.startsWith("placeshare_data_quality_findings_total{"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  @Test
  void everything_carriesTheDataQualityWarnings() throws Exception {
    String clinician = fixture.token(GatewayFixture.AE_CLIENT, "clinician", "ETREAT");
    String planted =
        fixture
            .people
            .get(org.placeshare.fhir.synthetic.SyntheticRecords.PLANTED_DISAGREEMENT)
            .nhsNumber()
            .toString();

    HttpResponse<String> r =
        fixture.everything(planted, clinician, "X-Emergency-Reason", "checking records");

    assertThat(r.body()).contains("data quality: acute-r9a disagrees with gp-y90001 on birth date");
  }

  @Test
  void view_feedsTheRelationshipRegister_fromWhatTheSourcesSaid() throws Exception {
    String council = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    var person = fixture.firstPerson().nhsNumber();
    assertThat(fixture.everything(person.toString(), council).statusCode()).isEqualTo(200);
    var expected =
        List.of(
            new org.placeshare.policy.CareRelationship(
                org.placeshare.policy.OdsCode.of("Y90001"),
                org.placeshare.policy.RelationshipKind.REGISTERED_GP),
            new org.placeshare.policy.CareRelationship(
                org.placeshare.policy.OdsCode.of("R9A"),
                org.placeshare.policy.RelationshipKind.ENCOUNTER));

    // Written after the answer leaves, so it may land a moment later.
    var relationships = fixture.register().facts(person).await().relationships();
    for (int i = 0; i < 40 && !relationships.containsAll(expected); i++) {
      Thread.sleep(50);
      relationships = fixture.register().facts(person).await().relationships();
    }

    assertThat(relationships).containsAll(expected);
  }

  @Test
  void dataQuality_comparesWhatTheSourcesSent_notWhatTheObligationsLeft() throws Exception {
    // The council's agreement generalises birth date and postcode in what it releases; sources
    // that agree must still be seen to agree.
    String council = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");

    HttpResponse<String> r =
        fixture.everything(fixture.firstPerson().nhsNumber().toString(), council);

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).doesNotContain("data quality:");
  }
}
