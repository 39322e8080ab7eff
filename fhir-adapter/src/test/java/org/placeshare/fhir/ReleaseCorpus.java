package org.placeshare.fhir;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.placeshare.fhir.synthetic.SyntheticPerson;
import org.placeshare.fhir.synthetic.SyntheticPopulation;
import org.placeshare.fhir.synthetic.SyntheticRecords;
import org.placeshare.policy.AgreementFile;
import org.placeshare.policy.CodeNarrowing;
import org.placeshare.policy.Generalisation;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.Obligations;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.SensitiveCategory;
import org.placeshare.policy.SensitiveCodes;

/**
 * What a release is compared on: people as their sources answer for them (each source's reply a
 * searchset Bundle of the JSON an upstream sends, its Patient first), and the obligations they are
 * released under.
 *
 * <ul>
 *   <li>The demo's people (the first 50 of the synthetic population, seed 2026), from the GP, the
 *       acute trust and the council as the synthetic sources hold them.
 *   <li>A hostile source's reply ({@code release-corpus/hostile-gp.json}): records about someone
 *       else, by reference, focus and identifier; other people's NHS numbers and names, contained
 *       people, references to the source's own server, to other servers, to records not sent,
 *       versioned and logical references, sensitive codes (coded and marked), narrative, internal
 *       URLs, primitive extensions; alone, with a second source that disagrees about the person
 *       ({@code second-acute.json}), and asked for another NHS number than its Patient's.
 *   <li>Every agreement's obligations (the demo's and the gateway tests'), and obligations that
 *       release every type with and without other people's details, and narrow a type by code.
 * </ul>
 */
final class ReleaseCorpus {

  /** One source's reply for a person. */
  record Reply(SourceDescriptor source, String json) {

    /** A fresh parse, as the source fetch makes it: the Patient first, then the records. */
    SourceRecords.Found found() {
      Bundle bundle = Fhir.json().parseResource(Bundle.class, json);
      Patient patient = null;
      List<Resource> records = new ArrayList<>();
      for (Bundle.BundleEntryComponent e : bundle.getEntry()) {
        if (patient == null && e.getResource() instanceof Patient p) {
          patient = p;
        } else {
          records.add(e.getResource());
        }
      }
      return new SourceRecords.Found(source, patient, records);
    }
  }

  /** A person asked for, and their sources' replies in order of authority. */
  record Person(String name, NhsNumber asked, List<Reply> replies) {}

  /** Obligations under a name, for the failure message. */
  record Named(String name, Obligations obligations) {}

  static final List<String> TYPES =
      List.of(
          "Patient",
          "Condition",
          "Observation",
          "Encounter",
          "RelatedPerson",
          "DocumentReference",
          "MedicationRequest",
          "MedicationStatement",
          "AllergyIntolerance",
          "EpisodeOfCare");

  static final SourceDescriptor GP = source("gp", "Y90001", "http://gp.example:8080/fhir");
  static final SourceDescriptor ACUTE = source("acute", "R1A", "http://acute.example/fhir/");
  static final SourceDescriptor COUNCIL =
      source("council", "E08000026", "https://council.example/care");

  /** Who the corpus is released to, when, and the pseudonym key of a keyed release. */
  static final OdsCode RECIPIENT = OdsCode.of("E08000026");

  static final Instant NOW = Instant.parse("2026-11-30T06:00:00Z");
  static final byte[] KEY = "corpus pseudonym key of 32 bytes!".getBytes(StandardCharsets.UTF_8);

  private ReleaseCorpus() {}

  /**
   * The person released under the obligations from every reply, as the gateway releases; empty when
   * the sources disagree about the person ({@link AboutThePerson.Conflict}, its message given).
   */
  static Released release(Person person, Named named, boolean keyed) {
    List<SourceRecords> results = new ArrayList<>();
    Map<String, PersonView.Grant> grants = new LinkedHashMap<>();
    try {
      for (Reply reply : person.replies()) {
        results.add(AboutThePerson.check(person.asked(), reply.found()));
        grants.put(reply.source().id(), new PersonView.Grant(named.obligations(), "corpus@1#sha"));
      }
    } catch (AboutThePerson.Conflict e) {
      return new Released(Optional.empty(), e.getMessage());
    }
    return new Released(
        Optional.of(
            PersonView.assemble(
                person.asked(),
                RECIPIENT,
                results,
                grants,
                List.of(COUNCIL),
                keyed ? Optional.of(new Pseudonyms(KEY)) : Optional.empty(),
                NOW)),
        "");
  }

  /** A release of the corpus: the view, or the sources' conflict that refused it. */
  record Released(Optional<PersonView.Released> view, String conflict) {}

  static SourceDescriptor source(String id, String ods, String base) {
    return new SourceDescriptor(
        id, OdsCode.of(ods), URI.create(base), Duration.ofSeconds(5), TYPES);
  }

  static List<Person> people() {
    List<Person> people = new ArrayList<>();
    List<SyntheticPerson> demo = SyntheticPopulation.generate(50, 2026);
    Map<NhsNumber, List<Reply>> replies = new LinkedHashMap<>();
    synthetic(SyntheticRecords.Kind.GP, "gp", GP, demo, replies);
    synthetic(SyntheticRecords.Kind.ACUTE, "acute", ACUTE, demo, replies);
    synthetic(SyntheticRecords.Kind.COUNCIL, "council", COUNCIL, demo, replies);
    replies.forEach((n, r) -> people.add(new Person("demo " + n, n, r)));
    Reply hostile = new Reply(GP, resource("release-corpus/hostile-gp.json"));
    Reply second = new Reply(ACUTE, resource("release-corpus/second-acute.json"));
    NhsNumber asked = NhsNumber.parse("9990000018");
    people.add(new Person("hostile source", asked, List.of(hostile)));
    people.add(new Person("hostile source and a second", asked, List.of(hostile, second)));
    people.add(new Person("second source first", asked, List.of(second, hostile)));
    people.add(
        new Person(
            "hostile source asked another", NhsNumber.parse("9990000026"), List.of(hostile)));
    return people;
  }

  /** Each person a synthetic source holds, answered as a search by their Patient would be. */
  private static void synthetic(
      SyntheticRecords.Kind kind,
      String prefix,
      SourceDescriptor source,
      List<SyntheticPerson> demo,
      Map<NhsNumber, List<Reply>> replies) {
    List<Resource> all = SyntheticRecords.forSource(kind, prefix, demo);
    for (Resource r : all) {
      if (r instanceof Patient patient) {
        String ref = "Patient/" + patient.getIdElement().getIdPart();
        Bundle reply = new Bundle().setType(Bundle.BundleType.SEARCHSET);
        reply.addEntry().setResource(patient);
        for (Resource other : all) {
          if (!(other instanceof Patient) && names(other, ref)) {
            reply.addEntry().setResource(other);
          }
        }
        NhsNumber n =
            NhsNumber.parse(
                patient.getIdentifier().stream()
                    .filter(AboutThePerson::isNhsNumber)
                    .findFirst()
                    .orElseThrow()
                    .getValue());
        replies
            .computeIfAbsent(n, x -> new ArrayList<>())
            .add(new Reply(source, Fhir.encode(reply)));
      }
    }
  }

  private static boolean names(Resource r, String patientRef) {
    for (Reference ref : AboutThePerson.compartmentReferences(r)) {
      if (patientRef.equals(ref.getReference())) {
        return true;
      }
    }
    return false;
  }

  static List<Named> obligations() {
    List<Named> all = new ArrayList<>();
    Path root = Path.of("..").toAbsolutePath().normalize();
    for (Path folder :
        List.of(
            root.resolve("ops/agreements"),
            root.resolve("gateway/src/test/resources/agreements"))) {
      try (Stream<Path> files = Files.list(folder)) {
        for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
          Obligations own =
              AgreementFile.parse(f.getFileName().toString(), Files.readAllBytes(f)).obligations();
          String name = root.relativize(f).toString();
          all.add(new Named(name, own));
          // The same obligations over every type of the corpus, so that each is exercised.
          all.add(new Named(name + " over every type", own.withResourceTypes(Set.copyOf(TYPES))));
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    if (all.size() < 16) {
      throw new IllegalStateException("expected the demo's and the tests' agreements, got " + all);
    }
    SensitiveCodes codes = SensitiveCodes.bundled();
    List<SensitiveCodes.Entry> sensitive = new ArrayList<>();
    for (SensitiveCategory c : SensitiveCategory.values()) {
      sensitive.addAll(codes.codes(c));
    }
    for (boolean otherPeople : List.of(false, true)) {
      all.add(
          new Named(
              "every type, other people " + otherPeople,
              new Obligations(
                  Set.copyOf(TYPES),
                  List.of(),
                  sensitive,
                  codes.version(),
                  Set.of("Patient.telecom", "Observation.note", "Encounter.participant"),
                  Map.of(
                      "Patient.birthDate",
                      Generalisation.YEAR,
                      "Patient.address.postalCode",
                      Generalisation.DISTRICT,
                      "RelatedPerson.birthDate",
                      Generalisation.YEAR),
                  Optional.of("corpus-pseudonymised"),
                  Optional.of("R"),
                  otherPeople)));
      all.add(
          new Named(
              "every type, nothing withheld, other people " + otherPeople,
              new Obligations(
                  Set.copyOf(TYPES),
                  List.of(),
                  List.of(),
                  codes.version(),
                  Set.of(),
                  Map.of(),
                  Optional.empty(),
                  Optional.empty(),
                  otherPeople)));
    }
    all.add(
        new Named(
            "conditions narrowed to diabetes",
            new Obligations(
                Set.copyOf(TYPES),
                List.of(
                    new CodeNarrowing("Condition", "http://snomed.info/sct", Set.of("44054006"))),
                sensitive,
                codes.version(),
                Set.of("Condition.note"),
                Map.of(),
                Optional.empty(),
                Optional.of("V"),
                false)));
    return all;
  }

  /** The corpus's obligations of that name. */
  static Named named(String name) {
    return obligations().stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow();
  }

  /** The UUIDs and pseudonyms made at random for each release (ReleasedViewEquivalenceTest). */
  private static final Pattern RANDOM =
      Pattern.compile(
          "[0-9a-f]{8}-[0-9a-f]{4}-[48][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}|[0-9a-f]{32}");

  /** Each random value replaced by the order it first appears in. */
  static String numbered(String json) {
    Map<String, Integer> seen = new LinkedHashMap<>();
    Matcher m = RANDOM.matcher(json);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      int n = seen.computeIfAbsent(m.group(), k -> seen.size());
      m.appendReplacement(out, "random-" + n);
    }
    m.appendTail(out);
    return out.toString();
  }

  /** A test resource of this package, by its path under the package's folder. */
  static String resource(String path) {
    try (InputStream in = ReleaseCorpus.class.getResourceAsStream(path)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
