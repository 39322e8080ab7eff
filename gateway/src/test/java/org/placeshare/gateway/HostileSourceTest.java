package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.parser.StrictErrorHandler;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.RelatedPerson;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.Fhir;
import org.placeshare.fhir.FhirRestSource;
import org.placeshare.fhir.Pseudonyms;
import org.placeshare.fhir.synthetic.SyntheticPerson;
import org.placeshare.fhir.synthetic.SyntheticPopulation;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.policy.Consent;
import org.placeshare.policy.ConsentMethod;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PurposeOfUse;
import org.placeshare.policy.identity.ConsentTokens;
import org.placeshare.policy.identity.SigningKey;

/**
 * A hostile FHIR source ({@link HostileFhirSource}) behind the real gateway: what it sends about
 * someone else never leaves, through the person view or a cohort export, and nothing that leaves
 * names an upstream's address or points outside what was released.
 */
class HostileSourceTest {

  static final String HOSTILE = "hostile-r9a";
  static final String POPULATION = CohortExportTest.POPULATION;

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static HostileFhirSource hostile;
  static Pseudonyms pseudonyms;
  static final List<String> upstreams = new ArrayList<>();

  /** The cohort export of the hostile source's people, run once: file type to its text. */
  static final Map<String, String> exported = new LinkedHashMap<>();

  static String errors;

  @BeforeAll
  static void start() throws Exception {
    List<SyntheticPerson> people = SyntheticPopulation.generate(20, 42);
    hostile =
        new HostileFhirSource(
            people.get(5).nhsNumber(),
            people.get(6).nhsNumber(),
            people.get(7).nhsNumber(),
            people.get(8).nhsNumber(),
            people.get(9).nhsNumber(),
            people.get(15).nhsNumber());
    byte[] key = new byte[32];
    new java.security.SecureRandom().nextBytes(key);
    Path secret = Files.createDirectories(dir).resolve("pseudonym.secret");
    Files.writeString(secret, com.nimbusds.jose.util.Base64URL.encode(key).toString());
    pseudonyms = new Pseudonyms(key);
    fixture =
        GatewayFixture.start(
            dir.resolve("gw"),
            TestPostgres.freshDatabase(),
            SigningKey.generate(),
            c -> {
              List<GatewayConfig.Source> sources = new ArrayList<>(c.sources());
              sources.add(
                  new GatewayConfig.Source(
                      HOSTILE,
                      "R9A",
                      hostile.baseUrl().toString(),
                      Duration.ofSeconds(5),
                      List.of("Patient", "Condition", "Encounter", "RelatedPerson")));
              sources.forEach(s -> upstreams.add(URI.create(s.baseUrl()).getRawAuthority()));
              return GatewayFixture.withCohorts(
                  GatewayFixture.withSources(c, sources),
                  CohortExportTest.cohorts(dir.resolve("exports")),
                  Optional.of(secret));
            });
    fixture.addAgreement("gm-connect-population-health.yaml");
    // The agreements share RelatedPerson too, so that a carer's record can be asked for.
    for (String agreement :
        List.of("coventry-direct-care.yaml", "gm-connect-population-health.yaml")) {
      Path file = fixture.agreements.resolve(agreement);
      Files.writeString(
          file,
          Files.readString(file)
              .replace(
                  "resourceTypes: [Patient, Condition,",
                  "resourceTypes: [Patient, RelatedPerson, Condition,"));
    }
    fixture.gateway.policy().reload(fixture.vertx).await();
    export();
  }

  /** Exports the hostile source's people under the population-health agreement. */
  private static void export() throws Exception {
    String token = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "PUBHLTH");
    List<String> members =
        List.of(
            hostile.honest.toString(),
            hostile.twoNumbers.toString(),
            hostile.anotherNumber.toString(),
            hostile.twoPatients.toString(),
            hostile.looping.toString());
    String group = CohortExportTest.registered(fixture, token, members);
    HttpResponse<String> done =
        CohortExportTest.await(
            fixture, token, CohortExportTest.kickOff(fixture, token, group, "$export"));
    assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
    JsonObject manifest = new JsonObject(done.body());
    for (Object o : manifest.getJsonArray("output")) {
      JsonObject entry = (JsonObject) o;
      exported.put(entry.getString("type"), download(token, entry.getString("url")));
    }
    StringBuilder errorText = new StringBuilder();
    for (Object o : manifest.getJsonArray("error")) {
      errorText.append(download(token, ((JsonObject) o).getString("url")));
    }
    errors = errorText.toString();
  }

  private static String download(String token, String url) throws Exception {
    HttpResponse<String> r = fixture.get(CohortExportTest.path(url), token);
    assertThat(r.statusCode()).isEqualTo(200);
    return r.body();
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
    if (hostile != null) {
      hostile.close();
    }
  }

  /** The view of a person for a clinician in an emergency, checked whole on the way. */
  private static String view(NhsNumber person) throws Exception {
    String clinician = fixture.token(GatewayFixture.AE_CLIENT, "clinician", "ETREAT");
    HttpResponse<String> r =
        fixture.everything(person.toString(), clinician, "X-Emergency-Reason", "collapsed");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertSelfContained(r.body());
    return r.body();
  }

  /**
   * What every released Bundle must be: no upstream's address anywhere, a full URL on every entry,
   * every reference resolving inside it, and HAPI's strict parser accepting it.
   */
  static void assertSelfContained(String json) {
    for (String upstream : upstreams) {
      assertThat(json).as("an upstream's address").doesNotContain(upstream);
    }
    Bundle bundle =
        Fhir.context()
            .newJsonParser()
            .setParserErrorHandler(new StrictErrorHandler())
            .parseResource(Bundle.class, json);
    Set<String> fullUrls = new HashSet<>();
    for (Bundle.BundleEntryComponent e : bundle.getEntry()) {
      assertThat(e.getFullUrl()).as(e.getResource().fhirType()).startsWith("urn:uuid:");
      fullUrls.add(e.getFullUrl());
    }
    assertThat(fullUrls).hasSameSizeAs(bundle.getEntry());
    for (Bundle.BundleEntryComponent e : bundle.getEntry()) {
      Resource r = e.getResource();
      for (Reference ref :
          Fhir.context().newTerser().getAllPopulatedChildElementsOfType(r, Reference.class)) {
        if (ref.getReference() != null) {
          assertThat(ref.getReference())
              .as("a reference in " + r.fhirType() + " resolves in the Bundle")
              .isIn(fullUrls);
        }
      }
    }
  }

  private static List<String> diagnostics(String json) {
    Bundle bundle = Fhir.json().parseResource(Bundle.class, json);
    return bundle.getEntry().stream()
        .map(Bundle.BundleEntryComponent::getResource)
        .filter(OperationOutcome.class::isInstance)
        .flatMap(o -> ((OperationOutcome) o).getIssue().stream())
        .map(OperationOutcome.OperationOutcomeIssueComponent::getDiagnostics)
        .toList();
  }

  private static <T extends Resource> List<T> all(String json, Class<T> type) {
    return Fhir.json().parseResource(Bundle.class, json).getEntry().stream()
        .map(Bundle.BundleEntryComponent::getResource)
        .filter(type::isInstance)
        .map(type::cast)
        .toList();
  }

  private static String allExported() {
    return String.join("\n", exported.values()) + "\n" + errors;
  }

  private static String pseudonym(NhsNumber n) {
    return pseudonyms.of(POPULATION, Fhir.NHS_NUMBER_SYSTEM, n.toString());
  }

  /** The audit detail of the person's last event of this action. */
  private static String audited(NhsNumber person, String action) {
    List<Row> rows = fixture.auditFor(person);
    String last = null;
    for (Row row : rows) {
      if (row.getString("action").equals(action)) {
        last = row.getJsonObject("detail").encode();
      }
    }
    assertThat(last).as(action + " audited").isNotNull();
    return last;
  }

  @Test
  void view_sourceIgnoringPatientParameter_releasesOnlyTheAskedPerson() throws Exception {
    String json = view(hostile.honest);

    assertThat(json)
        .contains(HostileFhirSource.HONEST_CONDITION)
        .doesNotContain(HostileFhirSource.OTHERS_CONDITION)
        .doesNotContain(HostileFhirSource.TWO_NUMBERS_CONDITION);
    // Said as a finding about the source, counted in the audit, nothing of the records shown.
    assertThat(diagnostics(json))
        .contains("data quality: " + HOSTILE + " sent 3 records not about this person; left out");
    assertThat(audited(hostile.honest, "read-person-view"))
        .contains("left out as not about this person: 3 from " + HOSTILE)
        .doesNotContain(HostileFhirSource.OTHERS_CONDITION);
  }

  @Test
  void export_sourceIgnoringPatientParameter_releasesOnlyTheAskedPerson() {
    String conditions = exported.get("Condition");

    assertThat(conditions)
        .contains(HostileFhirSource.HONEST_CONDITION)
        .doesNotContain(HostileFhirSource.OTHERS_CONDITION)
        .doesNotContain(HostileFhirSource.TWO_NUMBERS_CONDITION);
    assertThat(conditions.split(HostileFhirSource.HONEST_CONDITION, -1)).hasSize(2);
    assertThat(audited(hostile.honest, "cohort-export"))
        .contains("left out as not about this person: 3 from " + HOSTILE);
  }

  @Test
  void view_patientWithTwoNhsNumbers_isAConflict_andNothingOfTheSourceIsReleased()
      throws Exception {
    String json = view(hostile.twoNumbers);

    assertThat(diagnostics(json))
        .contains(
            "source "
                + HOSTILE
                + " (R9A) answered with a conflict: its Patient carries 2 NHS numbers, not one;"
                + " its records are missing from this view");
    assertThat(json)
        .doesNotContain(hostile.someoneElse.toString())
        .doesNotContain(HostileFhirSource.TWO_NUMBERS_CONDITION)
        .doesNotContain(HostileFhirSource.HONEST_CONDITION);
  }

  @Test
  void export_patientWithTwoNhsNumbers_isAConflict_andNothingOfTheSourceIsReleased() {
    assertThat(allExported())
        .doesNotContain(pseudonym(hostile.someoneElse))
        .doesNotContain(HostileFhirSource.TWO_NUMBERS_CONDITION);
    assertThat(audited(hostile.twoNumbers, "cohort-export"))
        .contains(HOSTILE + ": answered with a conflict: its Patient carries 2 NHS numbers");
    // The conflicted, the misdirected, the twins and the looping person: four members.
    assertThat(errors).contains("source " + HOSTILE + " could not be read for 4 members");
  }

  @Test
  void view_patientWithAnotherNhsNumber_isAConflict() throws Exception {
    String json = view(hostile.anotherNumber);

    assertThat(diagnostics(json))
        .contains(
            "source "
                + HOSTILE
                + " (R9A) answered with a conflict: its Patient for this NHS number carries"
                + " another NHS number; its records are missing from this view");
    assertThat(json)
        .doesNotContain(hostile.someoneElse.toString())
        .doesNotContain("\"Hostile\"")
        .doesNotContain(HostileFhirSource.OTHERS_CONDITION);
  }

  @Test
  void export_patientWithAnotherNhsNumber_isAConflict() {
    assertThat(audited(hostile.anotherNumber, "cohort-export"))
        .contains(HOSTILE + ": answered with a conflict: its Patient for this NHS number");
    assertThat(allExported()).doesNotContain(HostileFhirSource.OTHERS_CONDITION);
  }

  @Test
  void view_twoPatientsForOneNhsNumber_isAConflict() throws Exception {
    String json = view(hostile.twoPatients);

    assertThat(diagnostics(json))
        .contains(
            "source "
                + HOSTILE
                + " (R9A) answered with a conflict: it holds 2 Patients for one NHS number;"
                + " its records are missing from this view");
    assertThat(json).doesNotContain("\"Hostile\"");
  }

  @Test
  void export_twoPatientsForOneNhsNumber_isAConflict() {
    assertThat(audited(hostile.twoPatients, "cohort-export"))
        .contains(HOSTILE + ": answered with a conflict: it holds 2 Patients for one NHS number");
  }

  @Test
  void view_relatedPersonOfSomeoneElse_leavesWithoutTheirNhsNumberOrName() throws Exception {
    String json = view(hostile.honest);

    List<RelatedPerson> carers = all(json, RelatedPerson.class);
    assertThat(carers).hasSize(1);
    // The relationship is the person's; who the carer is was not agreed, and their NHS number
    // never leaves without a decision about them.
    assertThat(carers.get(0).getRelationshipFirstRep().getCodingFirstRep().getCode())
        .isEqualTo("DAU");
    assertThat(json)
        .doesNotContain(hostile.someoneElse.toString())
        .doesNotContain(HostileFhirSource.CARER_NAME);
  }

  @Test
  void export_relatedPersonOfSomeoneElse_leavesWithoutTheirNhsNumberOrName() {
    String carers = exported.get("RelatedPerson");

    assertThat(carers.lines()).hasSize(1);
    assertThat(carers).contains("DAU");
    // Not even as a pseudonym: that would link the carer's records to this person's.
    assertThat(allExported())
        .doesNotContain(pseudonym(hostile.someoneElse))
        .doesNotContain(HostileFhirSource.CARER_NAME);
  }

  @Test
  void view_nextLinkToItself_failsTheSourceAtOnce_notAtTheDeadline() throws Exception {
    int before = hostile.encounterPages.get();
    long started = System.nanoTime();

    String json = view(hostile.looping);

    assertThat(diagnostics(json))
        .contains(
            "source "
                + HOSTILE
                + " (R9A) sent a next-page link to a page of Encounter already read (a paging"
                + " loop); its records are missing from this view");
    assertThat(hostile.encounterPages.get() - before)
        .isLessThanOrEqualTo(FhirRestSource.MAX_PAGES_PER_SEARCH);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(4));
  }

  @Test
  void export_nextLinkToItself_failsTheSource() {
    assertThat(audited(hostile.looping, "cohort-export"))
        .contains(HOSTILE + ": sent a next-page link to a page of Encounter already read");
  }

  @Test
  void view_namesNoUpstreamAddress_andItsProvenanceNamesTheSourceByItsLogicalUri()
      throws Exception {
    String json = view(hostile.honest);

    List<Provenance> provenances = all(json, Provenance.class);
    assertThat(provenances)
        .extracting(p -> p.getEntityFirstRep().getWhat())
        .allSatisfy(what -> assertThat(what.hasReference()).isFalse())
        .extracting(what -> what.getIdentifier().getValue())
        .containsExactlyInAnyOrder(
            "urn:placeshare:source:Y90001:gp-y90001",
            "urn:placeshare:source:R9A:acute-r9a",
            "urn:placeshare:source:R9A:" + HOSTILE);
    assertThat(all(json, Condition.class))
        .extracting(c -> c.getMeta().getSource())
        .containsOnly(
            "urn:placeshare:source:Y90001:gp-y90001", "urn:placeshare:source:R9A:" + HOSTILE);
  }

  @Test
  void export_namesNoUpstreamAddress() {
    String files = allExported();

    assertThat(files).contains("urn:placeshare:source:R9A:" + HOSTILE);
    for (String upstream : upstreams) {
      assertThat(files).doesNotContain(upstream);
    }
    // Every reference between exported records is to a record in the export.
    Set<String> ids = new HashSet<>();
    exported.forEach(
        (type, lines) ->
            lines
                .lines()
                .forEach(
                    l ->
                        ids.add(
                            type + "/" + Fhir.json().parseResource(l).getIdElement().getIdPart())));
    exported.values().stream()
        .flatMap(String::lines)
        .map(l -> (Resource) Fhir.json().parseResource(l))
        .flatMap(
            r ->
                Fhir.context()
                    .newTerser()
                    .getAllPopulatedChildElementsOfType(r, Reference.class)
                    .stream())
        .filter(Reference::hasReference)
        .forEach(ref -> assertThat(ids).contains(ref.getReference()));
  }

  @Test
  void view_patientId_isStableForAnOrganisation_andDiffersAcrossOrganisations() throws Exception {
    String first = patientId(view(hostile.honest));
    String second = patientId(view(hostile.honest));
    String council = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    HttpResponse<String> r = fixture.everything(hostile.honest.toString(), council);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertSelfContained(r.body());

    assertThat(second).isEqualTo(first);
    assertThat(patientId(r.body())).isNotEqualTo(first);
  }

  private static String patientId(String json) {
    List<Patient> patients = all(json, Patient.class);
    assertThat(patients).hasSize(1);
    return patients.get(0).getIdElement().getIdPart();
  }

  @Test
  void view_consentScopedToConditions_hasNoReferenceToAPatientOutsideTheBundle() throws Exception {
    NhsNumber person = hostile.honest;
    Instant now = GatewayFixture.CLOCK.instant();
    String consent =
        ConsentTokens.sign(
            fixture.gpConsentKey,
            new Consent(
                "scoped-to-conditions",
                OdsCode.of("Y90001"),
                person,
                Set.of(OdsCode.of("R9A")),
                Set.of(PurposeOfUse.of("TREAT")),
                Set.of("Condition"),
                ConsentMethod.VERBAL,
                "gp-reception-1",
                now.minusSeconds(60),
                now.plus(Duration.ofDays(30))),
            now);
    String clinician = fixture.token(GatewayFixture.AE_CLIENT, "clinician", "TREAT");

    HttpResponse<String> r =
        fixture.everything(person.toString(), clinician, "X-Consent-Token", consent);

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertSelfContained(r.body());
    assertThat(all(r.body(), Patient.class)).isEmpty();
    // Condition.subject is required: the person is there, masked, not a dangling reference.
    assertThat(all(r.body(), Condition.class))
        .isNotEmpty()
        .allSatisfy(c -> assertThat(c.getSubject().hasReference()).isFalse())
        .allSatisfy(
            c ->
                assertThat(c.getSubject().getExtensionFirstRep().getUrl())
                    .isEqualTo("http://hl7.org/fhir/StructureDefinition/data-absent-reason"));
  }
}
