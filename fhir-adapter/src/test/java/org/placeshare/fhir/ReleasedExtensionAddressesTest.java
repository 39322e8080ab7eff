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

    PersonView.Released view = release(reply);
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
            "source gp (Y90001) sent 2 records with a modifier extension that cannot leave"
                + " as it came; they are missing from this view");
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

  /**
   * A modifier extension whose own URL is elsewhere but which holds the source's address (a part, a
   * value, or in a contained resource): dropping that would change what the modifier says, so the
   * record stays behind as one whose modifier's URL points there.
   */
  @Test
  void release_aModifierExtensionHoldingTheSourcesAddress_keepsItsRecordBack() {
    String reply =
        """
        {"resourceType": "Bundle", "type": "searchset", "entry": [
          {"resource": {"resourceType": "Patient", "id": "p1",
            "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990000018"}]}},
          {"resource": {"resourceType": "Condition", "id": "nested",
            "modifierExtension": [{"url": "https://ext.example/fhir/StructureDefinition/negated",
              "extension": [{"url": "%1$sreason", "valueBoolean": true}]}],
            "code": {"text": "nested-part-marker"}, "subject": {"reference": "Patient/p1"}}},
          {"resource": {"resourceType": "Condition", "id": "valueuri",
            "modifierExtension": [{"url": "https://ext.example/fhir/StructureDefinition/refuted-by",
              "valueUri": "%1$sprotocol-7"}],
            "code": {"text": "value-uri-marker"}, "subject": {"reference": "Patient/p1"}}},
          {"resource": {"resourceType": "Condition", "id": "incontained",
            "contained": [{"resourceType": "Observation", "id": "o1", "status": "final",
              "code": {"text": "x"},
              "modifierExtension": [{"url": "https://ext.example/fhir/StructureDefinition/negated",
                "extension": [{"url": "%1$sreason", "valueBoolean": true}]}]}],
            "evidence": [{"detail": [{"reference": "#o1"}]}],
            "code": {"text": "contained-marker"}, "subject": {"reference": "Patient/p1"}}},
          {"resource": {"resourceType": "Condition", "id": "plain",
            "modifierExtension": [{"url": "https://ext.example/fhir/StructureDefinition/negated",
              "valueBoolean": true}],
            "extension": [{"url": "%1$slocal", "valueString": "x"}],
            "code": {"text": "plain-marker"}, "subject": {"reference": "Patient/p1"}}}]}
        """
            .formatted(LOCAL);

    PersonView.Released view = release(reply);
    String json = Fhir.encode(view.bundle());

    assertThat(view.referencesBySource().get("gp"))
        .containsExactly("Patient/p1", "Condition/plain");
    assertThat(json)
        .doesNotContain("nested-part-marker")
        .doesNotContain("value-uri-marker")
        .doesNotContain("contained-marker");
    // A modifier extension with nothing of the source's in it leaves as it came.
    assertThat(json)
        .contains("plain-marker")
        .contains("ext.example/fhir/StructureDefinition/negated");
    assertThat(json).contains("sent 3 records with a modifier extension that cannot leave as it");
  }

  /** The Patient kept back for such a modifier extension is said, as any record is. */
  @Test
  void release_aPatientKeptBackForAModifierExtension_isSaidInTheView() {
    String reply =
        """
        {"resourceType": "Bundle", "type": "searchset", "entry": [
          {"resource": {"resourceType": "Patient", "id": "p1",
            "modifierExtension": [{"url": "%1$snot-confirmed", "valueBoolean": true}],
            "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990000018"}]}},
          {"resource": {"resourceType": "Condition", "id": "c1",
            "code": {"text": "frailty"}, "subject": {"reference": "Patient/p1"}}}]}
        """
            .formatted(LOCAL);

    PersonView.Released view = release(reply);
    String json = Fhir.encode(view.bundle());

    assertThat(view.referencesBySource().get("gp")).containsExactly("Condition/c1");
    assertThat(json)
        .contains(
            "source gp (Y90001) sent 1 record with a modifier extension that cannot leave"
                + " as it came; it is missing from this view");
  }

  /** The source's server written another way is still the source's server. */
  @Test
  void release_theSourcesServerWrittenAnotherWay_isStillDropped() {
    String reply =
        """
        {"resourceType": "Bundle", "type": "searchset", "entry": [
          {"resource": {"resourceType": "Patient", "id": "p1",
            "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990000018"}]}},
          {"resource": {"resourceType": "Condition", "id": "c1",
            "extension": [
              {"url": "http://staff@gp.example:8080/fhir/StructureDefinition/a", "valueString": "v1"},
              {"url": "http://GP.example.:8080/fhir/StructureDefinition/b", "valueString": "v2"},
              {"url": "http://gp.example:08080/fhir/StructureDefinition/c", "valueString": "v3"},
              {"url": " http://gp.example:8080/fhir/StructureDefinition/d", "valueString": "v4"},
              {"url": "http://gp.example:8080 /not a uri", "valueString": "v5"},
              {"url": "http://gp%2Eexample:8080/fhir/StructureDefinition/g", "valueString": "v6"},
              {"url": "http://gp.example:80800/fhir/StructureDefinition/e", "valueString": "kept-1"},
              {"url": "http://gp.example/fhir/StructureDefinition/f", "valueString": "kept-2"}],
            "code": {"text": "frailty"}, "subject": {"reference": "Patient/p1"}}},
          {"resource": {"resourceType": "Condition", "id": "c2",
            "modifierExtension": [
              {"url": "http://staff@gp.example:8080/fhir/StructureDefinition/m", "valueBoolean": true}],
            "code": {"text": "modifier-marker"}, "subject": {"reference": "Patient/p1"}}}]}
        """;

    PersonView.Released view = release(reply);
    String json = Fhir.encode(view.bundle());

    // Another port (80800 is not 8080; no port is 80) is another server: those stay.
    assertThat(json).contains("kept-1").contains("kept-2");
    assertThat(json.replace("gp.example:80800", "").replace("gp.example/fhir", ""))
        .doesNotContain("gp.example");
    assertThat(json)
        .doesNotContain("\"v1\"")
        .doesNotContain("\"v5\"")
        .doesNotContain("\"v6\"")
        .doesNotContain("gp%2Eexample");
    assertThat(view.referencesBySource().get("gp")).containsExactly("Patient/p1", "Condition/c1");
  }

  /**
   * A modifier extension naming another record: whether that record is released is known only once
   * the view is built, and a reference not released is removed, which would leave the modifier
   * saying something else. The record stays behind; one naming only what it contains leaves.
   */
  @Test
  void release_aModifierExtensionNamingAnotherRecord_keepsItsRecordBack() {
    String reply =
        """
        {"resourceType": "Bundle", "type": "searchset", "entry": [
          {"resource": {"resourceType": "Patient", "id": "p1",
            "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990000018"}]}},
          {"resource": {"resourceType": "Observation", "id": "o1", "status": "final",
            "code": {"text": "released-observation"}, "subject": {"reference": "Patient/p1"}}},
          {"resource": {"resourceType": "Condition", "id": "absolute",
            "modifierExtension": [{"url": "https://ext.example/fhir/StructureDefinition/refuted-by",
              "valueReference": {"reference": "%1$sObservation/o9"}}],
            "code": {"text": "absolute-marker"}, "subject": {"reference": "Patient/p1"}}},
          {"resource": {"resourceType": "Condition", "id": "unreleased",
            "modifierExtension": [{"url": "https://ext.example/fhir/StructureDefinition/refuted-by",
              "valueReference": {"reference": "Observation/not-released"}}],
            "code": {"text": "unreleased-marker"}, "subject": {"reference": "Patient/p1"}}},
          {"resource": {"resourceType": "Condition", "id": "released",
            "modifierExtension": [{"url": "https://ext.example/fhir/StructureDefinition/refuted-by",
              "valueReference": {"reference": "Observation/o1"}}],
            "code": {"text": "released-marker"}, "subject": {"reference": "Patient/p1"}}},
          {"resource": {"resourceType": "Condition", "id": "contained",
            "contained": [{"resourceType": "Observation", "id": "x", "status": "final",
              "code": {"text": "x"}}],
            "modifierExtension": [{"url": "https://ext.example/fhir/StructureDefinition/refuted-by",
              "valueReference": {"reference": "#x"}}],
            "code": {"text": "contained-marker"}, "subject": {"reference": "Patient/p1"}}}]}
        """
            .formatted("http://gp.example:8080/fhir/");

    PersonView.Released view = release(reply);
    String json = Fhir.encode(view.bundle());

    assertThat(view.referencesBySource().get("gp"))
        .containsExactly("Patient/p1", "Observation/o1", "Condition/contained");
    assertThat(json)
        .doesNotContain("absolute-marker")
        .doesNotContain("unreleased-marker")
        .doesNotContain("released-marker")
        .contains("contained-marker")
        .contains("sent 3 records with a modifier extension that cannot leave as it came");
  }

  private static PersonView.Released release(String reply) {
    ReleaseCorpus.Person person =
        new ReleaseCorpus.Person(
            "extensions at the source",
            NhsNumber.parse("9990000018"),
            List.of(new ReleaseCorpus.Reply(ReleaseCorpus.GP, reply)));
    return ReleaseCorpus.release(
            person, ReleaseCorpus.named("every type, nothing withheld, other people false"), false)
        .view()
        .orElseThrow();
  }
}
