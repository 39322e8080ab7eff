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
    assertThat(exported.getSubject().getReference())
        .isEqualTo("Patient/8e4f74b9-a425-8d60-9e8f-e62a6bf1c2c4");
    assertThat(exported.getEncounter().getReference()).isEqualTo("Encounter/e1");
    Reference inPrimitive =
        (Reference) exported.getRecordedDateElement().getExtensionFirstRep().getValue();
    assertThat(inPrimitive.getReference()).isEqualTo("Encounter/e1");
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
