package org.placeshare.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.Test;
import org.placeshare.policy.NhsNumber;

/**
 * An extension defined at the source's own address: the view drops every value pointing at a
 * source's server, and an extension's URL is what says what it means. A plain extension goes whole
 * (FHIR has no extension without a URL); a modifier extension changes the meaning of what it is on,
 * so its record stays behind and the view says so.
 */
class ReleasedExtensionAddressesTest {

  static final String LOCAL = "http://gp.example:8080/fhir/StructureDefinition/";

  @Test
  void release_extensionsDefinedAtTheSource_goWhole_andModifierExtensionsKeepTheirRecordBack() {
    String reply =
        """
        {"resourceType": "Bundle", "type": "searchset", "entry": [
          {"resource": {"resourceType": "Patient", "id": "p1",
            "extension": [{"url": "%1$spatient-flag", "valueString": "patient-local-marker"}],
            "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990000018"}]}},
          {"resource": {"resourceType": "Condition", "id": "c1",
            "extension": [
              {"url": "%1$slocal-flag", "valueString": "local-extension-marker"},
              {"url": "https://example.org/fhir/StructureDefinition/kept", "valueString": "kept"}],
            "code": {"text": "frailty", "_text": {"extension": [
              {"url": "%1$son-a-primitive", "valueString": "primitive-local-marker"}]}},
            "note": [{"text": "n", "extension": [
              {"url": "%1$scomplex", "extension": [{"url": "part", "valueString": "nested-marker"}]}]}],
            "subject": {"reference": "Patient/p1"}}},
          {"resource": {"resourceType": "Condition", "id": "c2",
            "modifierExtension": [{"url": "%1$snot-really", "valueBoolean": true}],
            "code": {"text": "resource-modifier-marker"}, "subject": {"reference": "Patient/p1"}}},
          {"resource": {"resourceType": "Condition", "id": "c3",
            "evidence": [{"modifierExtension": [{"url": "%1$sruled-out", "valueBoolean": true}],
              "detail": [{"display": "x"}]}],
            "code": {"text": "backbone-modifier-marker"}, "subject": {"reference": "Patient/p1"}}}]}
        """
            .formatted(LOCAL);
    ReleaseCorpus.Person person =
        new ReleaseCorpus.Person(
            "extensions at the source",
            NhsNumber.parse("9990000018"),
            List.of(new ReleaseCorpus.Reply(ReleaseCorpus.GP, reply)));

    PersonView.Released view =
        ReleaseCorpus.release(
                person,
                ReleaseCorpus.named("every type, nothing withheld, other people false"),
                false)
            .view()
            .orElseThrow();
    String json = Fhir.encode(view.bundle());

    assertThat(json).doesNotContain("gp.example");
    assertThat(json)
        .doesNotContain("local-extension-marker")
        .doesNotContain("primitive-local-marker")
        .doesNotContain("nested-marker")
        .doesNotContain("patient-local-marker");
    assertThat(json)
        .contains("frailty")
        .contains("https://example.org/fhir/StructureDefinition/kept");
    assertThat(json)
        .doesNotContain("resource-modifier-marker")
        .doesNotContain("backbone-modifier-marker");
    assertThat(view.referencesBySource().get("gp")).containsExactly("Patient/p1", "Condition/c1");
    assertThat(json)
        .contains(
            "source gp (Y90001) sent 2 records with a modifier extension defined only at its own"
                + " address; they are missing from this view");
    // Every extension released has its URL: none was left as an empty shell.
    Bundle released = Fhir.json().parseResource(Bundle.class, json);
    for (Bundle.BundleEntryComponent e : released.getEntry()) {
      Resource r = e.getResource();
      for (Extension x :
          Fhir.context().newTerser().getAllPopulatedChildElementsOfType(r, Extension.class)) {
        assertThat(x.getUrl()).as(r.fhirType()).isNotBlank();
      }
    }
  }
}
