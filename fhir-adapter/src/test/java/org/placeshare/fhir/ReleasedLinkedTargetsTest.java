package org.placeshare.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.Test;
import org.placeshare.policy.NhsNumber;

/**
 * A hostile source's search replies whose references HAPI's parser links to records the view does
 * not release. The parser links a reference to any entry of the same reply whose {@code fullUrl} is
 * the reference's text ({@code Observation/o3}), whatever that entry is; the view keeps the
 * reference (its text names a record of the source that is released, from another search), and with
 * it the linked record. Released as the gateway releases (a Patient search, then one search a type,
 * as {@link FhirRestSource} fetches; {@link AboutThePerson}; {@link PersonView}), under every
 * agreement's obligations of the corpus ({@link ReleaseCorpus}), encoded as {@code FhirFormat}
 * encodes a release: JSON by {@link ReleasedJson}, XML by HAPI's parser.
 */
class ReleasedLinkedTargetsTest {

  private static final NhsNumber ASKED = NhsNumber.parse("9990000018");

  @Test
  void encodeRelease_targetWithALocalIdLinkedByItsFullUrl_isNotReleased() {
    assertThat(leaks("condition-local-id.json", "MARKER-someone-else-linked-by-full-url"))
        .as("releases carrying another person's Patient, never released as a record")
        .isEmpty();
  }

  @Test
  void encodeRelease_behindATargetWhoseIdHasNoIdPart_isNotReleased() {
    assertThat(leaks("condition-no-id-part.json", "MARKER-someone-else-behind-a-target"))
        .as("releases carrying another person's Patient, never released as a record")
        .isEmpty();
  }

  @Test
  void releasedJson_targetWhoseIdHasNoIdPart_writesHapisBytes() {
    List<String> differ = new ArrayList<>();
    for (ReleaseCorpus.Named named : ReleaseCorpus.obligations()) {
      for (boolean keyed : List.of(true, false)) {
        Bundle hapi = release("condition-no-id-part.json", named, keyed);
        Bundle ours = release("condition-no-id-part.json", named, keyed);
        if (!releasesACondition(ours)) {
          continue;
        }
        boolean skipped = LinkedTargets.nothingToContain(ours);
        if (!ReleaseCorpus.numbered(ReleasedJson.encode(ours))
            .equals(ReleaseCorpus.numbered(Fhir.encode(hapi)))) {
          differ.add(named.name() + (keyed ? ", keyed" : "") + ": search skipped " + skipped);
        }
      }
    }
    assertThat(differ).as("releases whose ReleasedJson bytes are not Fhir.encode's").isEmpty();
  }

  /** Each encoding of a release of the Condition that carries the marker. */
  private static List<String> leaks(String conditionReply, String marker) {
    List<String> leaked = new ArrayList<>();
    int releases = 0;
    for (ReleaseCorpus.Named named : ReleaseCorpus.obligations()) {
      for (boolean keyed : List.of(true, false)) {
        Bundle json = release(conditionReply, named, keyed);
        if (!releasesACondition(json)) {
          continue;
        }
        releases++;
        String under = " under " + named.name() + (keyed ? ", keyed" : "");
        if (ReleasedJson.encode(json).contains(marker)) {
          leaked.add("JSON" + under);
        }
        Bundle xml = release(conditionReply, named, keyed);
        if (Fhir.context().newXmlParser().encodeResourceToString(xml).contains(marker)) {
          leaked.add("XML" + under);
        }
      }
    }
    assertThat(releases).as("releases of the Condition").isGreaterThan(0);
    return leaked;
  }

  /** The person's view from the source's replies, each parsed afresh, as the gateway makes it. */
  private static Bundle release(String conditionReply, ReleaseCorpus.Named named, boolean keyed) {
    Patient patient = (Patient) parse("patient.json").getEntryFirstRep().getResource();
    List<Resource> records = new ArrayList<>();
    records.addAll(ofType(parse(conditionReply), "Condition"));
    records.addAll(ofType(parse("observation.json"), "Observation"));
    SourceRecords found =
        AboutThePerson.check(ASKED, new SourceRecords.Found(ReleaseCorpus.GP, patient, records));
    return PersonView.assemble(
            ASKED,
            ReleaseCorpus.RECIPIENT,
            List.of(found),
            Map.of(
                ReleaseCorpus.GP.id(), new PersonView.Grant(named.obligations(), "corpus@1#sha")),
            List.of(ReleaseCorpus.COUNCIL),
            keyed ? Optional.of(new Pseudonyms(ReleaseCorpus.KEY)) : Optional.empty(),
            ReleaseCorpus.NOW)
        .bundle();
  }

  /** A search reply's entries of the type searched for, as FhirRestSource keeps them. */
  private static List<Resource> ofType(Bundle reply, String type) {
    return reply.getEntry().stream()
        .map(Bundle.BundleEntryComponent::getResource)
        .filter(r -> r != null && r.fhirType().equals(type))
        .toList();
  }

  private static boolean releasesACondition(Bundle view) {
    return view.getEntry().stream().anyMatch(e -> e.getResource() instanceof Condition);
  }

  private static Bundle parse(String name) {
    return Fhir.json()
        .parseResource(
            Bundle.class, ReleaseCorpus.resource("released-json/linked-withheld/" + name));
  }
}
