package org.placeshare.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.function.Supplier;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.DomainResource;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.Test;
import org.placeshare.policy.NhsNumber;

/**
 * {@link ReleasedJson} writes what HAPI's encoder writes ({@link Fhir#encode}), byte for byte: on
 * every release of the corpus ({@link ReleaseCorpus}), on a hostile reply whose references name
 * records with no id, contained records and entries under local ids, released as the gateway
 * releases; and, on Bundles whose references carry linked records HAPI's search would contain
 * (which a release never has), that it contains none of them. Each side encodes a model of its own,
 * made the same way, as encoding may change the model.
 */
class ReleasedJsonTest {

  @Test
  void encode_everyReleaseOfTheCorpus_writesHapisBytes() {
    int releases = 0;
    for (ReleaseCorpus.Person person : ReleaseCorpus.people()) {
      for (ReleaseCorpus.Named named : ReleaseCorpus.obligations()) {
        for (boolean keyed : List.of(true, false)) {
          ReleaseCorpus.Released hapi = ReleaseCorpus.release(person, named, keyed);
          if (hapi.view().isEmpty()) {
            continue; // the sources disagree: nothing is released, nothing encoded
          }
          Bundle view = ReleaseCorpus.release(person, named, keyed).view().orElseThrow().bundle();
          String what = person.name() + " under " + named.name() + (keyed ? ", keyed" : "");
          // Nothing for HAPI's search to contain in a release: why the bytes are the same.
          assertThat(LinkedTargets.nothingToContain(view)).as(what).isTrue();
          assertThat(ReleaseCorpus.numbered(ReleasedJson.encode(view)))
              .as(what)
              .isEqualTo(ReleaseCorpus.numbered(Fhir.encode(hapi.view().get().bundle())));
          releases++;
        }
      }
    }
    assertThat(releases).isGreaterThan(1_000);
  }

  @Test
  void encode_hostileReplyOfLinkedTargets_releasedAsTheGatewayReleases_writesHapisBytes() {
    ReleaseCorpus.Person person =
        new ReleaseCorpus.Person(
            "linked targets",
            NhsNumber.parse("9990000018"),
            List.of(
                new ReleaseCorpus.Reply(
                    ReleaseCorpus.GP,
                    ReleaseCorpus.resource("released-json/linked-targets-gp.json"))));
    int views = 0;
    for (ReleaseCorpus.Named named : ReleaseCorpus.obligations()) {
      for (boolean keyed : List.of(true, false)) {
        ReleaseCorpus.Released hapi = ReleaseCorpus.release(person, named, keyed);
        Bundle view = ReleaseCorpus.release(person, named, keyed).view().orElseThrow().bundle();
        assertThat(ReleaseCorpus.numbered(ReleasedJson.encode(view)))
            .as(named.name() + (keyed ? ", keyed" : ""))
            .isEqualTo(ReleaseCorpus.numbered(Fhir.encode(hapi.view().orElseThrow().bundle())));
        views++;
      }
    }
    assertThat(views).isGreaterThan(30);
  }

  @Test
  void encode_hostileReplyOfLinkedTargets_asParsed_writesHapisBytes() {
    String json = ReleaseCorpus.resource("released-json/linked-targets-gp.json");
    Bundle parsed = Fhir.json().parseResource(Bundle.class, json);
    // As parsed, a reference names the entry with no id by its full URL: HAPI contains nothing.
    assertThat(ReleaseCorpus.numbered(ReleasedJson.encode(parsed)))
        .isEqualTo(
            ReleaseCorpus.numbered(Fhir.encode(Fhir.json().parseResource(Bundle.class, json))));
  }

  @Test
  void encode_targetWithNoId_isNotContained_whereHapiWouldContainIt() {
    assertSameBytes(
        () -> {
          Condition c = condition("c1");
          c.getEvidenceFirstRep().addDetail().setResource(observation(null));
          return bundle(c);
        },
        true);
  }

  @Test
  void encode_targetWithLocalIdNotContained_isNotContained_whereHapiWouldContainIt() {
    assertSameBytes(
        () -> {
          Condition c = condition("c1");
          c.getEvidenceFirstRep().addDetail(new Reference("#x")).getDetail().get(0);
          c.getEvidenceFirstRep().getDetail().get(0).setResource(observation("#x"));
          return bundle(c);
        },
        true);
  }

  @Test
  void encode_targetContainedInAnotherEntry_isNotContainedAgain_whereHapiWould() {
    assertSameBytes(
        () -> {
          Observation shared = observation("s1");
          Condition first = condition("c1");
          first.addContained(shared);
          first.getEvidenceFirstRep().addDetail(new Reference("#s1")).getDetail();
          first.getEvidenceFirstRep().getDetail().get(0).setResource(shared);
          Condition second = condition("c2");
          second.getEvidenceFirstRep().addDetail().setResource(shared);
          return bundle(first, second);
        },
        true);
  }

  @Test
  void encode_targetWithNoId_inAContainedRecord_isNotContained_whereHapiWouldContainIt() {
    assertSameBytes(
        () -> {
          Observation inner = observation("in");
          inner.addHasMember().setResource(observation(null));
          Condition c = condition("c1");
          c.addContained(inner);
          c.getEvidenceFirstRep().addDetail(new Reference("#in"));
          return bundle(c);
        },
        true);
  }

  @Test
  void encode_targetWithNoId_inAnExtension_isNotContained_whereHapiWouldContainIt() {
    assertSameBytes(
        () -> {
          Condition c = condition("c1");
          Reference ref = new Reference();
          ref.setResource(observation(null));
          c.getCode().getCodingFirstRep().addExtension("https://example.org/by", ref);
          return bundle(c);
        },
        true);
  }

  @Test
  void encode_targetWithNoId_inAPrimitivesExtension_isWrittenAsHapiWritesIt() {
    assertSameBytes(
        () -> {
          Condition c = condition("c1");
          Reference ref = new Reference("Observation/elsewhere");
          ref.setResource(observation(null));
          c.setRecordedDateElement(new DateTimeType());
          c.getRecordedDateElement().addExtension("https://example.org/from", ref);
          return bundle(c);
        },
        false);
  }

  @Test
  void encode_targetsWithIdsAndContainedOnes_skipTheSearch_andWriteHapisBytes() {
    assertSameBytes(
        () -> {
          Observation o = observation("Observation/o1");
          Observation inner = observation("in");
          Condition c = condition("c1");
          c.addContained(inner);
          c.getEvidenceFirstRep().addDetail(new Reference("#in")).getDetail();
          c.getEvidenceFirstRep().getDetail().get(0).setResource(inner);
          // No text: HAPI writes the target's id.
          c.getEvidenceFirstRep().addDetail().setResource(o);
          return bundle(c, o);
        },
        false);
  }

  /**
   * Both encoders on models made alike, and whether HAPI's search would contain something in one.
   * Where it would not, the bytes are the same; where it would, a record that is only linked (which
   * a release never has, BundleReferences clearing every link) is contained by HAPI and not by
   * ReleasedJson: the release writes no record the view did not place.
   */
  private static void assertSameBytes(Supplier<Bundle> made, boolean searchNeeded) {
    Bundle ours = made.get();
    assertThat(LinkedTargets.nothingToContain(ours)).isEqualTo(!searchNeeded);
    // HAPI gives a resource it contains a random id: numbered, as a release's random values are.
    String hapi = ReleaseCorpus.numbered(Fhir.encode(made.get()));
    String released = ReleaseCorpus.numbered(ReleasedJson.encode(ours));
    if (searchNeeded) {
      assertThat(contained(released)).isLessThan(contained(hapi));
    } else {
      assertThat(released).isEqualTo(hapi);
    }
  }

  /** How many resources the JSON writes as contained. */
  private static int contained(String json) {
    Bundle bundle = Fhir.json().parseResource(Bundle.class, json);
    int n = 0;
    for (Bundle.BundleEntryComponent e : bundle.getEntry()) {
      if (e.getResource() instanceof DomainResource d) {
        n += d.getContained().size();
        for (Resource c : d.getContained()) {
          if (c instanceof DomainResource inner) {
            n += inner.getContained().size();
          }
        }
      }
    }
    return n;
  }

  private static Bundle bundle(Resource... resources) {
    Bundle b = new Bundle().setType(Bundle.BundleType.SEARCHSET);
    for (Resource r : resources) {
      b.addEntry().setResource(r);
    }
    Patient p = new Patient();
    p.setId("Patient/p1");
    b.addEntry().setFullUrl("urn:uuid:5f1d2c3b-1a2b-4c3d-8e4f-5a6b7c8d9e0f").setResource(p);
    return b;
  }

  private static Condition condition(String id) {
    Condition c = new Condition();
    c.setId(id);
    c.setSubject(new Reference("Patient/p1"));
    c.setCode(new CodeableConcept(new Coding("http://snomed.info/sct", "44054006", null)));
    return c;
  }

  private static Observation observation(String id) {
    Observation o = new Observation();
    if (id != null) {
      o.setId(id);
    }
    o.setStatus(Observation.ObservationStatus.FINAL);
    o.getCode().setText("linked");
    return o;
  }
}
