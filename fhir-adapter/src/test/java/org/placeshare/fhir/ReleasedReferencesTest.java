package org.placeshare.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.DomainResource;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.Test;
import org.placeshare.policy.NhsNumber;

/**
 * Every reference that leaves resolves inside the released Bundle, read from the bytes sent. HAPI
 * links a parsed reference to the record it names when both came in one reply, and writes a
 * reference whose text was removed from that linked record's id: a record withheld (a sensitive
 * code, another type, a contained person not released) must not come back that way, with the
 * source's own id, even under pseudonyms.
 */
class ReleasedReferencesTest {

  /** A reference as written in FHIR JSON: the value of any {@code "reference"} member. */
  private static final Pattern REFERENCE = Pattern.compile("\"reference\"\\s*:\\s*\"([^\"]*)\"");

  @Test
  void release_everyReferenceSent_resolvesInTheBundle_onTheCorpus() {
    int references = 0;
    for (ReleaseCorpus.Person person : ReleaseCorpus.people()) {
      for (ReleaseCorpus.Named named : ReleaseCorpus.obligations()) {
        for (boolean keyed : List.of(true, false)) {
          Optional<String> json = released(person, named, keyed);
          if (json.isEmpty()) {
            continue; // the sources disagree about the person: nothing is released
          }
          String what = person.name() + " under " + named.name() + (keyed ? ", keyed" : "");
          references += assertEveryReferenceResolves(what, json.get());
        }
      }
    }
    // The corpus releases references, so the check above is not vacuous.
    assertThat(references).isGreaterThan(1_000);
  }

  /**
   * An absolute reference (how a source that answers with full URLs names its records) to a record
   * withheld for a sensitive code, under pseudonyms: the pseudonymisation removes the text it
   * cannot pseudonymise, and HAPI's link must not write the source's URL back.
   */
  @Test
  void release_absoluteReferenceToAWithheldRecord_underPseudonyms_leavesNoSourceAddressOrId() {
    ReleaseCorpus.Named everyType = ReleaseCorpus.named("every type, other people false");
    for (boolean fullUrls : List.of(true, false)) {
      String base = "http://gp.example:8080/fhir/";
      String reply =
          """
          {"resourceType": "Bundle", "type": "searchset", "entry": [
            {%1$s"resource": {"resourceType": "Patient", "id": "p1", "identifier": [
              {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990000018"}]}},
            {%2$s"resource": {"resourceType": "Observation", "id": "o1", "status": "final",
              "code": {"text": "panel"}, "subject": {"reference": "Patient/p1"},
              "hasMember": [{"reference": "%4$sObservation/o2"}]}},
            {%3$s"resource": {"resourceType": "Observation", "id": "o2", "status": "final",
              "code": {"coding": [{"system": "http://snomed.info/sct", "code": "86406008"}]},
              "subject": {"reference": "Patient/p1"}}}]}
          """
              .formatted(
                  fullUrls ? "\"fullUrl\": \"" + base + "Patient/p1\", " : "",
                  fullUrls ? "\"fullUrl\": \"" + base + "Observation/o1\", " : "",
                  fullUrls ? "\"fullUrl\": \"" + base + "Observation/o2\", " : "",
                  base);
      ReleaseCorpus.Person person =
          new ReleaseCorpus.Person(
              "absolute reference",
              NhsNumber.parse("9990000018"),
              List.of(new ReleaseCorpus.Reply(ReleaseCorpus.GP, reply)));
      String what = fullUrls ? "with full URLs" : "without full URLs";

      String json = released(person, everyType, true).orElseThrow();

      assertThat(json).as(what).contains("\"Observation\"").doesNotContain("86406008");
      assertThat(json).as(what).doesNotContain("gp.example").doesNotContain("Observation/o2");
      assertEveryReferenceResolves(what, json);
    }
  }

  /**
   * A source that answers with full URLs (as HAPI's server does): HAPI gives each parsed record its
   * entry's full URL as its id. The view names each record by that id's last part, and a reference
   * between two of its released records resolves to the one it names, not to another of its type.
   */
  @Test
  void release_sourceAnsweringWithFullUrls_keepsEachRecordsIdAndResolvesReferencesBetweenThem() {
    ReleaseCorpus.Named everyType =
        ReleaseCorpus.named("every type, nothing withheld, other people false");
    String base = "http://gp.example:8080/fhir/";
    String reply =
        """
        {"resourceType": "Bundle", "type": "searchset", "entry": [
          {"fullUrl": "%1$sPatient/p1", "resource": {"resourceType": "Patient", "id": "p1",
            "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990000018"}]}},
          {"fullUrl": "%1$sEncounter/e1", "resource": {"resourceType": "Encounter", "id": "e1",
            "status": "finished", "class": {"code": "AMB"}, "subject": {"reference": "Patient/p1"}}},
          {"fullUrl": "%1$sEncounter/e2", "resource": {"resourceType": "Encounter", "id": "e2",
            "status": "finished", "class": {"code": "IMP"}, "subject": {"reference": "Patient/p1"}}},
          {"fullUrl": "%1$sCondition/c1", "resource": {"resourceType": "Condition", "id": "c1",
            "code": {"text": "frailty"}, "subject": {"reference": "Patient/p1"},
            "encounter": {"reference": "Encounter/e1"}}}]}
        """
            .formatted(base);
    ReleaseCorpus.Person person =
        new ReleaseCorpus.Person(
            "full URLs",
            NhsNumber.parse("9990000018"),
            List.of(new ReleaseCorpus.Reply(ReleaseCorpus.GP, reply)));

    String json = released(person, everyType, false).orElseThrow();

    Bundle view = Fhir.json().parseResource(Bundle.class, json);
    Map<String, String> fullUrlById = new HashMap<>();
    String encounterOfCondition = null;
    for (Bundle.BundleEntryComponent e : view.getEntry()) {
      Resource r = e.getResource();
      fullUrlById.put(r.fhirType() + "/" + r.getIdElement().getIdPart(), e.getFullUrl());
      if (r instanceof Condition c) {
        encounterOfCondition = c.getEncounter().getReference();
      }
    }
    assertThat(fullUrlById).containsKeys("Encounter/e1", "Encounter/e2", "Condition/c1");
    assertThat(json).doesNotContain("\"id\":\"null\"").doesNotContain("gp.example");
    assertThat(encounterOfCondition).isEqualTo(fullUrlById.get("Encounter/e1"));
    assertEveryReferenceResolves("full URLs", json);
  }

  /** Checks each reference in the JSON names an entry or a contained resource; their number. */
  private static int assertEveryReferenceResolves(String what, String json) {
    Bundle bundle = Fhir.json().parseResource(Bundle.class, json);
    Set<String> targets = new HashSet<>();
    for (Bundle.BundleEntryComponent e : bundle.getEntry()) {
      targets.add(e.getFullUrl());
      if (e.getResource() instanceof DomainResource d) {
        for (Resource c : d.getContained()) {
          targets.add("#" + c.getIdElement().getIdPart().replaceFirst("^#", ""));
        }
      }
    }
    int references = 0;
    Matcher m = REFERENCE.matcher(json);
    while (m.find()) {
      assertThat(targets).as(what).contains(m.group(1));
      references++;
    }
    return references;
  }

  private static Optional<String> released(
      ReleaseCorpus.Person person, ReleaseCorpus.Named named, boolean keyed) {
    return ReleaseCorpus.release(person, named, keyed).view().map(v -> Fhir.encode(v.bundle()));
  }
}
