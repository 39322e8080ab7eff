package org.placeshare.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DomainResource;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.Test;
import org.placeshare.policy.OdsCode;

/**
 * Every reference that leaves resolves inside the released Bundle, read from the bytes sent. HAPI
 * links a parsed reference to the record it names when both came in one reply, and writes a
 * reference whose text was removed from that linked record's id: a record withheld (a sensitive
 * code, another type, a contained person not released) must not come back that way, with the
 * source's own id, even under pseudonyms.
 */
class ReleasedReferencesTest {

  private static final OdsCode RECIPIENT = OdsCode.of("E08000026");
  private static final Instant NOW = Instant.parse("2026-11-30T06:00:00Z");
  private static final byte[] KEY = "corpus pseudonym key of 32 bytes!".getBytes();

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
          Bundle bundle = Fhir.json().parseResource(Bundle.class, json.get());
          Set<String> targets = new HashSet<>();
          for (Bundle.BundleEntryComponent e : bundle.getEntry()) {
            targets.add(e.getFullUrl());
            if (e.getResource() instanceof DomainResource d) {
              for (Resource c : d.getContained()) {
                targets.add("#" + c.getIdElement().getIdPart().replaceFirst("^#", ""));
              }
            }
          }
          Matcher m = REFERENCE.matcher(json.get());
          while (m.find()) {
            assertThat(targets).as(what).contains(m.group(1));
            references++;
          }
        }
      }
    }
    // The corpus releases references, so the check above is not vacuous.
    assertThat(references).isGreaterThan(1_000);
  }

  private static Optional<String> released(
      ReleaseCorpus.Person person, ReleaseCorpus.Named named, boolean keyed) {
    List<SourceRecords> results = new ArrayList<>();
    Map<String, PersonView.Grant> grants = new LinkedHashMap<>();
    try {
      for (ReleaseCorpus.Reply reply : person.replies()) {
        results.add(AboutThePerson.check(person.asked(), reply.found()));
        grants.put(reply.source().id(), new PersonView.Grant(named.obligations(), "corpus@1#sha"));
      }
    } catch (AboutThePerson.Conflict e) {
      return Optional.empty();
    }
    PersonView.Released released =
        PersonView.assemble(
            person.asked(),
            RECIPIENT,
            results,
            grants,
            List.of(ReleaseCorpus.COUNCIL),
            keyed ? Optional.of(new Pseudonyms(KEY)) : Optional.empty(),
            NOW);
    return Optional.of(Fhir.encode(released.bundle()));
  }
}
