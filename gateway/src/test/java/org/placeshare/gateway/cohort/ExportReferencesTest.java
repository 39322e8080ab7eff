package org.placeshare.gateway.cohort;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.Test;

/**
 * In an export's NDJSON files there is no Bundle: every reference between a member's released
 * records is made {@code Type/id}, wherever it is in the record, a primitive's extension included
 * ({@code "_recordedDate": {"extension": [{"valueReference": ...}]}}), which HAPI's terser does not
 * walk into.
 */
class ExportReferencesTest {

  static final String PATIENT = "urn:uuid:8e4f74b9-a425-8d60-9e8f-e62a6bf1c2c4";
  static final String ENCOUNTER = "urn:uuid:0b1c2d3e-0000-4000-8000-000000000001";
  static final String CONDITION = "urn:uuid:0b1c2d3e-0000-4000-8000-000000000002";

  @Test
  void plain_everyReferenceBetweenReleasedRecords_isTypeAndId_primitiveExtensionsIncluded() {
    Patient patient = new Patient();
    patient.setId("8e4f74b9-a425-8d60-9e8f-e62a6bf1c2c4");
    Encounter encounter = new Encounter();
    encounter.setId("Encounter/e1");
    encounter.setSubject(new Reference(PATIENT));
    Condition condition = new Condition();
    condition.setId("Condition/c1");
    condition.setSubject(new Reference(PATIENT));
    condition.setEncounter(new Reference(ENCOUNTER));
    DateTimeType recorded = new DateTimeType("2026-01-01");
    recorded.addExtension(
        new Extension("https://example.org/recorded-at", new Reference(ENCOUNTER)));
    condition.setRecordedDateElement(recorded);
    Bundle bundle = new Bundle();
    match(bundle, PATIENT, patient);
    match(bundle, ENCOUNTER, encounter);
    match(bundle, CONDITION, condition);

    List<Resource> plain = ExportReferences.plain(bundle);

    Condition exported = (Condition) plain.get(2);
    String encounterId = "Encounter/" + plain.get(1).getIdElement().getIdPart();
    assertThat(exported.getSubject().getReference())
        .isEqualTo("Patient/8e4f74b9-a425-8d60-9e8f-e62a6bf1c2c4");
    assertThat(exported.getEncounter().getReference()).isEqualTo(encounterId);
    Reference inPrimitive =
        (Reference) exported.getRecordedDateElement().getExtensionFirstRep().getValue();
    assertThat(inPrimitive.getReference()).isEqualTo(encounterId);
  }

  /**
   * Two sources that number their records alike (Encounter/1, Condition/1): in the files, which
   * every member's records share, each record keeps an id of its own and each reference the record
   * it named. With the sources' ids, a reader would resolve one source's Condition to the other
   * source's Encounter, or to another member's.
   */
  @Test
  void plain_sameTypeAndIdFromTwoSources_staysTwoRecordsAndTwoTargets() {
    Patient patient = new Patient();
    patient.setId("8e4f74b9-a425-8d60-9e8f-e62a6bf1c2c4");
    Bundle bundle = new Bundle();
    match(bundle, PATIENT, patient);
    match(bundle, ENCOUNTER, encounter("urn:placeshare:source:Y90001:gp"));
    match(bundle, CONDITION, numberOne("urn:placeshare:source:Y90001:gp", ENCOUNTER));
    String acuteEncounter = "urn:uuid:0b1c2d3e-0000-4000-8000-000000000003";
    match(bundle, acuteEncounter, encounter("urn:placeshare:source:R1A:acute"));
    match(
        bundle,
        "urn:uuid:0b1c2d3e-0000-4000-8000-000000000004",
        numberOne("urn:placeshare:source:R1A:acute", acuteEncounter));

    List<Resource> plain = ExportReferences.plain(bundle);

    assertThat(plain.stream().map(r -> r.fhirType() + "/" + r.getIdElement().getIdPart()))
        .doesNotHaveDuplicates();
    assertThat(((Condition) plain.get(2)).getEncounter().getReference())
        .isEqualTo("Encounter/" + plain.get(1).getIdElement().getIdPart());
    assertThat(((Condition) plain.get(4)).getEncounter().getReference())
        .isEqualTo("Encounter/" + plain.get(3).getIdElement().getIdPart());
    // The same record has the same id in the next export.
    Bundle again = new Bundle();
    match(again, ENCOUNTER, encounter("urn:placeshare:source:Y90001:gp"));
    assertThat(ExportReferences.plain(again).get(0).getIdElement().getIdPart())
        .isEqualTo(plain.get(1).getIdElement().getIdPart());
  }

  private static Encounter encounter(String source) {
    Encounter e = new Encounter();
    e.setId("Encounter/1");
    e.getMeta().setSource(source);
    e.setSubject(new Reference(PATIENT));
    return e;
  }

  private static Condition numberOne(String source, String encounter) {
    Condition c = new Condition();
    c.setId("Condition/1");
    c.getMeta().setSource(source);
    c.setSubject(new Reference(PATIENT));
    c.setEncounter(new Reference(encounter));
    return c;
  }

  private static void match(Bundle bundle, String fullUrl, Resource resource) {
    bundle
        .addEntry()
        .setFullUrl(fullUrl)
        .setResource(resource)
        .getSearch()
        .setMode(Bundle.SearchEntryMode.MATCH);
  }
}
