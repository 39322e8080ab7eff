package org.placeshare.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.placeshare.policy.NhsNumber;

/**
 * Under an agreement that does not name other people ({@code data.otherPeople: false}) a released
 * RelatedPerson keeps the relationship but not who they are, and a reference to a person not in the
 * view loses its display. A reference to the released RelatedPerson resolves, and keeps the display
 * the source wrote: the other person's name, which the RelatedPerson itself no longer carries.
 * Since records keep their ids, this happens for a source answering with full URLs too (HAPI's
 * server, the usual case), where the reference was removed, display and all, before.
 */
class ReleasedOtherPeopleDisplayTest {

  static final String NAME = "Marker-Relative";

  @Test
  void release_referenceToReleasedRelatedPerson_otherPeopleFalse_doesNotNameThem() {
    ReleaseCorpus.Named noOtherPeople =
        ReleaseCorpus.named("every type, nothing withheld, other people false");
    for (boolean fullUrls : List.of(true, false)) {
      String base = "http://gp.example:8080/fhir/";
      String reply =
          """
          {"resourceType": "Bundle", "type": "searchset", "entry": [
            {%1$s"resource": {"resourceType": "Patient", "id": "p1", "identifier": [
              {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990000018"}]}},
            {%2$s"resource": {"resourceType": "RelatedPerson", "id": "rp1",
              "patient": {"reference": "Patient/p1"},
              "relationship": [{"text": "mother"}],
              "name": [{"family": "%4$s", "given": ["Jane"]}]}},
            {%3$s"resource": {"resourceType": "Condition", "id": "c1",
              "code": {"text": "frailty"}, "subject": {"reference": "Patient/p1"},
              "asserter": {"reference": "RelatedPerson/rp1", "display": "Jane %4$s"}}}]}
          """
              .formatted(
                  fullUrls ? "\"fullUrl\": \"" + base + "Patient/p1\", " : "",
                  fullUrls ? "\"fullUrl\": \"" + base + "RelatedPerson/rp1\", " : "",
                  fullUrls ? "\"fullUrl\": \"" + base + "Condition/c1\", " : "",
                  NAME);
      ReleaseCorpus.Person person =
          new ReleaseCorpus.Person(
              "display of a released RelatedPerson",
              NhsNumber.parse("9990000018"),
              List.of(new ReleaseCorpus.Reply(ReleaseCorpus.GP, reply)));
      String what = fullUrls ? "with full URLs" : "without full URLs";

      String json =
          ReleaseCorpus.release(person, noOtherPeople, false)
              .view()
              .map(v -> Fhir.encode(v.bundle()))
              .orElseThrow();

      assertThat(json).as(what).contains("\"RelatedPerson\"").contains("mother");
      assertThat(json).as(what).doesNotContain(NAME);
    }
  }
}
