package org.placeshare.fhir.bench;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.DateType;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.placeshare.fhir.AboutThePerson;
import org.placeshare.fhir.Fhir;
import org.placeshare.fhir.PersonView;
import org.placeshare.fhir.Pseudonyms;
import org.placeshare.fhir.ReleasedJson;
import org.placeshare.fhir.SourceDescriptor;
import org.placeshare.fhir.SourceRecords;
import org.placeshare.policy.Generalisation;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.Obligations;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.SensitiveCategory;
import org.placeshare.policy.SensitiveCodes;

/**
 * The gateway's own work on a source's reply of 200 resources: parse the JSON Bundle, apply the
 * obligations (sensitive codes, generalisation, pseudonyms, labels) and assemble the view, and
 * serialise it; and all of it at once ({@link #view}), with the thread's CPU time per view.
 * Upstream latency is not in it. Run with {@code ops/bench/person-view.sh}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PersonViewBenchmark {

  private static final NhsNumber PERSON = NhsNumber.parse("9990000018");

  private String json;
  private Bundle parsed;
  private Bundle view;
  private SourceDescriptor source;
  private Obligations obligations;
  private Optional<Pseudonyms> pseudonyms;

  @Setup
  public void setUp() {
    Bundle bundle = new Bundle().setType(Bundle.BundleType.SEARCHSET);
    Patient patient = new Patient();
    patient.setId("p1");
    patient.addIdentifier().setSystem(Fhir.NHS_NUMBER_SYSTEM).setValue(PERSON.toString());
    patient.addName().setFamily("Jones").addGiven("Sam");
    patient.setBirthDateElement(new DateType("1956-03-14"));
    patient.addAddress().setPostalCode("CV1 2AB");
    bundle.addEntry().setResource(patient);
    for (int i = 0; i < 199; i++) {
      Resource r;
      if (i % 2 == 0) {
        r =
            new Condition()
                .setSubject(new Reference("Patient/p1"))
                .setCode(
                    new CodeableConcept(
                        new Coding("http://snomed.info/sct", "44054006", "Type 2 diabetes")));
      } else {
        r =
            new Encounter()
                .setStatus(Encounter.EncounterStatus.FINISHED)
                .setSubject(new Reference("Patient/p1"));
      }
      r.setId("r" + i);
      bundle.addEntry().setResource(r);
    }
    json = Fhir.encode(bundle);
    parsed = parse();
    source =
        new SourceDescriptor(
            "gp",
            OdsCode.of("Y90001"),
            URI.create("http://gp.example/fhir"),
            Duration.ofSeconds(5),
            List.of("Patient", "Condition", "Encounter"));
    obligations =
        new Obligations(
            Set.of("Patient", "Condition", "Encounter"),
            List.of(),
            SensitiveCodes.bundled().codes(SensitiveCategory.SEXUAL_HEALTH),
            SensitiveCodes.bundled().version(),
            Set.of("Patient.telecom"),
            Map.of(
                "Patient.birthDate",
                Generalisation.YEAR,
                "Patient.address.postalCode",
                Generalisation.DISTRICT),
            Optional.of("gm-connect-council-intelligence"),
            Optional.of("R"));
    pseudonyms = Optional.of(new Pseudonyms(new byte[32]));
    view = assemble();
  }

  @Benchmark
  public Bundle parse() {
    return Fhir.json().parseResource(Bundle.class, json);
  }

  @Benchmark
  public Bundle assemble() {
    // The view changes the resources it releases, so each round starts from a fresh copy.
    Bundle copy = parsed.copy();
    Patient patient = (Patient) copy.getEntryFirstRep().getResource();
    List<Resource> records = new ArrayList<>();
    copy.getEntry().stream().skip(1).forEach(e -> records.add(e.getResource()));
    return PersonView.assemble(
            PERSON,
            OdsCode.of("E08000026"),
            List.of(new SourceRecords.Found(source, patient, records)),
            Map.of(source.id(), new PersonView.Grant(obligations, "gm@1#sha")),
            List.of(),
            pseudonyms,
            Instant.EPOCH)
        .bundle();
  }

  /**
   * Which encoder writes the view: {@code released}, the gateway's ({@link ReleasedJson}), or
   * {@code hapi}, HAPI's own as the gateway wrote views before ({@link Fhir#encode}), the same
   * bytes.
   */
  @State(Scope.Benchmark)
  public static class Encoder {
    @Param({"released", "hapi"})
    public String encoder;

    String encode(Bundle bundle) {
      return encoder.equals("hapi") ? Fhir.encode(bundle) : ReleasedJson.encode(bundle);
    }
  }

  @Benchmark
  public String serialise(Encoder encoder, ThreadCpu cpu) {
    cpu.op();
    return encoder.encode(view);
  }

  /**
   * The whole of the gateway's CPU on one source's reply, as a view does it: parse, check that the
   * records are about the person, apply the obligations and assemble, serialise. No copy: the
   * parsed records are the view's own, as they are in the gateway.
   */
  @Benchmark
  public String view(Encoder encoder, ThreadCpu cpu) {
    cpu.op();
    Bundle reply = parse();
    Patient patient = (Patient) reply.getEntryFirstRep().getResource();
    List<Resource> records = new ArrayList<>();
    reply.getEntry().stream().skip(1).forEach(e -> records.add(e.getResource()));
    SourceRecords checked =
        AboutThePerson.check(PERSON, new SourceRecords.Found(source, patient, records));
    return encoder.encode(
        PersonView.assemble(
                PERSON,
                OdsCode.of("E08000026"),
                List.of(checked),
                Map.of(source.id(), new PersonView.Grant(obligations, "gm@1#sha")),
                List.of(),
                pseudonyms,
                Instant.EPOCH)
            .bundle());
  }
}
