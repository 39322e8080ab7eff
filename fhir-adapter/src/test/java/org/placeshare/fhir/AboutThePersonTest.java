package org.placeshare.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.hl7.fhir.r4.model.AllergyIntolerance;
import org.hl7.fhir.r4.model.Claim;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Coverage;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Organization;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.RelatedPerson;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.Test;
import org.placeshare.policy.FhirResourceTypes;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;

/** Whether a source's records are about the person asked for, read from the Patient compartment. */
class AboutThePersonTest {

  static final NhsNumber ASKED = NhsNumber.parse("9990000018");
  static final NhsNumber OTHER = NhsNumber.parse("9990000026");
  static final SourceDescriptor SOURCE =
      new SourceDescriptor(
          "gp",
          OdsCode.of("Y90001"),
          URI.create("http://gp.example:8080/fhir"),
          Duration.ofSeconds(5),
          List.of("Patient", "Condition"));

  private static Patient patient(NhsNumber... numbers) {
    Patient p = new Patient();
    p.setId("p1");
    for (NhsNumber n : numbers) {
      p.addIdentifier().setSystem(Fhir.NHS_NUMBER_SYSTEM).setValue(n.toString());
    }
    return p;
  }

  private static SourceRecords.Found found(Resource... records) {
    return new SourceRecords.Found(SOURCE, patient(ASKED), List.of(records));
  }

  private static Condition condition(String id, Reference subject) {
    Condition c = new Condition();
    c.setId(id);
    c.setSubject(subject);
    return c;
  }

  private static List<String> kept(SourceRecords result) {
    return ((SourceRecords.Found) result)
        .resources().stream().map(r -> r.getIdElement().getIdPart()).toList();
  }

  @Test
  void compartmentPaths_everyR4Type_canBeRead() {
    // Every type's Patient-compartment paths evaluate: none is silently skipped as unreadable.
    for (String type : FhirResourceTypes.R4) {
      Resource empty = (Resource) Fhir.context().getResourceDefinition(type).newInstance();
      assertThat(AboutThePerson.compartmentReferences(empty)).as(type).isEmpty();
    }
    assertThat(AboutThePerson.compartmentPaths("Condition"))
        .contains("Condition.subject", "Condition.asserter");
    assertThat(AboutThePerson.compartmentPaths("Coverage")).contains("Coverage.beneficiary");
    assertThat(AboutThePerson.compartmentPaths("Organization")).isEmpty();
  }

  @Test
  void check_recordsNamingThePersonByIdOrNhsNumber_areKept() {
    Condition relative = condition("c1", new Reference("Patient/p1"));
    Condition absolute = condition("c2", new Reference("http://gp.example:8080/fhir/Patient/p1"));
    Condition logical =
        condition(
            "c3",
            new Reference()
                .setIdentifier(
                    new Identifier().setSystem(Fhir.NHS_NUMBER_SYSTEM).setValue(ASKED.toString())));
    Coverage coverage = new Coverage();
    coverage.setId("cov");
    coverage.setBeneficiary(new Reference("Patient/p1"));

    SourceRecords result =
        AboutThePerson.check(ASKED, found(relative, absolute, logical, coverage));

    assertThat(kept(result)).containsExactly("c1", "c2", "c3", "cov");
    assertThat(((SourceRecords.Found) result).notAboutThePerson()).isZero();
  }

  @Test
  void check_recordsAboutSomeoneElseOrNobody_areLeftOutAndCounted() {
    Condition other = condition("c1", new Reference("Patient/someone-else"));
    Condition otherServer = condition("c2", new Reference("http://elsewhere/fhir/Patient/p1"));
    Condition otherNhs =
        condition(
            "c3",
            new Reference()
                .setIdentifier(
                    new Identifier().setSystem(Fhir.NHS_NUMBER_SYSTEM).setValue(OTHER.toString())));
    Condition ours = condition("c4", new Reference("Patient/p1"));
    ours.setAsserter(new Reference("Patient/someone-else")); // one other patient is enough
    AllergyIntolerance nobodys = new AllergyIntolerance();
    nobodys.setId("a1");
    Organization notInTheCompartment = new Organization();
    notInTheCompartment.setId("o1");
    Claim unreadable = new Claim();
    unreadable.setId("cl1");
    unreadable.setPatient(new Reference("urn:uuid:0d4c3b2a-0000-4000-8000-000000000000"));

    SourceRecords result =
        AboutThePerson.check(
            ASKED,
            found(other, otherServer, otherNhs, ours, nobodys, notInTheCompartment, unreadable));

    assertThat(kept(result)).isEmpty();
    assertThat(((SourceRecords.Found) result).notAboutThePerson()).isEqualTo(7);
  }

  @Test
  void check_practitionersAndOrganisationsInTheCompartmentPaths_areNotPatients() {
    Encounter encounter = new Encounter();
    encounter.setId("e1");
    encounter.setSubject(new Reference("Patient/p1"));
    encounter.addParticipant().setIndividual(new Reference("Practitioner/dr-1"));
    Condition condition = condition("c1", new Reference("Patient/p1"));
    condition.setAsserter(new Reference("Practitioner/dr-1"));

    assertThat(kept(AboutThePerson.check(ASKED, found(encounter, condition))))
        .containsExactly("e1", "c1");
  }

  @Test
  void check_anotherPersonsNhsNumber_isStrippedFromWhatIsKept() {
    RelatedPerson carer = new RelatedPerson();
    carer.setId("rp1");
    carer.setPatient(new Reference("Patient/p1"));
    carer.addIdentifier().setSystem(Fhir.NHS_NUMBER_SYSTEM).setValue(OTHER.toString());
    carer.addIdentifier().setSystem("https://council.example/carer-id").setValue("C-7");

    SourceRecords result = AboutThePerson.check(ASKED, found(carer));

    String json = Fhir.encode(((SourceRecords.Found) result).resources().get(0));
    assertThat(json).doesNotContain(OTHER.toString()).contains("C-7");
  }

  @Test
  void requireThePerson_otherOrMoreNhsNumbers_areConflicts() {
    assertThatThrownBy(() -> AboutThePerson.requireThePerson(patient(ASKED, OTHER), ASKED))
        .isInstanceOf(AboutThePerson.Conflict.class)
        .hasMessage("answered with a conflict: its Patient carries 2 NHS numbers, not one");
    assertThatThrownBy(() -> AboutThePerson.requireThePerson(patient(OTHER), ASKED))
        .hasMessage(
            "answered with a conflict: its Patient for this NHS number carries another NHS number");
    assertThatThrownBy(() -> AboutThePerson.requireThePerson(patient(), ASKED))
        .hasMessage(
            "answered with a conflict: its Patient for this NHS number carries no NHS number");
  }

  @Test
  void check_observationAboutThePersonWhoseFocusIsAnotherPatient_isLeftOut() {
    // Observation.focus is not a Patient-compartment path, but it names whom the record is about.
    Observation byId = new Observation();
    byId.setId("o1");
    byId.setSubject(new Reference("Patient/p1"));
    byId.addFocus(new Reference("Patient/someone-else"));
    Observation byNhsNumber = new Observation();
    byNhsNumber.setId("o2");
    byNhsNumber.setSubject(new Reference("Patient/p1"));
    byNhsNumber.addFocus(
        new Reference()
            .setIdentifier(
                new Identifier().setSystem(Fhir.NHS_NUMBER_SYSTEM).setValue(OTHER.toString())));
    Observation byLowerCase = new Observation();
    byLowerCase.setId("o3");
    byLowerCase.setSubject(new Reference("Patient/p1"));
    byLowerCase.addFocus(new Reference("patient/someone-else").setDisplay("Someone Else"));
    Observation conditional = new Observation();
    conditional.setId("o4");
    conditional.setSubject(new Reference("Patient/p1"));
    conditional.addFocus(
        new Reference("Patient?identifier=" + Fhir.NHS_NUMBER_SYSTEM + "|" + OTHER));
    Observation typed = new Observation();
    typed.setId("o5");
    typed.setSubject(new Reference("Patient/p1"));
    typed.addFocus(new Reference().setType("Patient").setDisplay("Someone Else"));
    Observation ours = new Observation();
    ours.setId("o6");
    ours.setSubject(new Reference("Patient/p1"));
    ours.addFocus(new Reference("Patient/p1/_history/2"));
    ours.addFocus(new Reference("Specimen/s1"));

    SourceRecords result =
        AboutThePerson.check(
            ASKED, found(byId, byNhsNumber, byLowerCase, conditional, typed, ours));

    assertThat(kept(result)).containsExactly("o6");
    assertThat(((SourceRecords.Found) result).notAboutThePerson()).isEqualTo(5);
  }

  @Test
  void requireThePerson_anotherNhsNumberUnderAVariantOfTheSystem_isAConflict() {
    Patient http = patient(ASKED);
    http.addIdentifier().setSystem("http://fhir.nhs.uk/Id/nhs-number").setValue(OTHER.toString());
    Patient spaced = patient(ASKED);
    spaced
        .addIdentifier()
        .setSystem(" https://FHIR.nhs.uk/Id/nhs-number/ ")
        .setValue("999 000 0026");

    assertThatThrownBy(() -> AboutThePerson.requireThePerson(http, ASKED))
        .hasMessage("answered with a conflict: its Patient carries 2 NHS numbers, not one");
    assertThatThrownBy(() -> AboutThePerson.requireThePerson(spaced, ASKED))
        .hasMessage("answered with a conflict: its Patient carries 2 NHS numbers, not one");
    // The person's own number written with spaces is still one number.
    Patient formatted = patient(ASKED);
    formatted.addIdentifier().setSystem(Fhir.NHS_NUMBER_SYSTEM).setValue("999 000 0018");
    AboutThePerson.requireThePerson(formatted, ASKED);
  }

  @Test
  void check_anotherPersonsNhsNumberUnderAVariantOfTheSystem_isStripped() {
    RelatedPerson carer = new RelatedPerson();
    carer.setId("rp1");
    carer.setPatient(new Reference("Patient/p1"));
    carer.addIdentifier().setSystem("http://fhir.nhs.uk/Id/nhs-number").setValue("999-000-0026");

    SourceRecords result = AboutThePerson.check(ASKED, found(carer));

    String json = Fhir.encode(((SourceRecords.Found) result).resources().get(0));
    assertThat(json).doesNotContain("0026");
  }

  @Test
  void check_recordsWithoutAFhirId_areLeftOutAndSaid() {
    Condition longest = condition("a".repeat(64), new Reference("Patient/p1"));
    Condition none = condition(null, new Reference("Patient/p1"));
    Condition space = condition("c 1", new Reference("Patient/p1"));
    Condition tooLong = condition("a".repeat(65), new Reference("Patient/p1"));
    Condition markup = condition("c<1>", new Reference("Patient/p1"));
    Condition control = condition("c1\u0000", new Reference("Patient/p1"));

    SourceRecords.Found result =
        (SourceRecords.Found)
            AboutThePerson.check(ASKED, found(longest, none, space, tooLong, markup, control));

    assertThat(kept(result)).containsExactly("a".repeat(64));
    assertThat(result.warnings())
        .containsExactly("sent 5 records without a FHIR id; they are missing from this view");
    assertThat(result.notAboutThePerson()).isZero();
  }

  @Test
  void check_anIdRepeatedInOneType_keepsTheFirstAndSaysSo() {
    Condition first = condition("c1", new Reference("Patient/p1"));
    first.getCode().setText("first");
    Condition second = condition("c1", new Reference("Patient/p1"));
    second.getCode().setText("second");
    Encounter sameIdOtherType = new Encounter();
    sameIdOtherType.setId("c1");
    sameIdOtherType.setSubject(new Reference("Patient/p1"));

    SourceRecords.Found result =
        (SourceRecords.Found) AboutThePerson.check(ASKED, found(first, second, sameIdOtherType));

    assertThat(result.resources()).containsExactly(first, sameIdOtherType);
    assertThat(result.warnings())
        .containsExactly(
            "sent 1 record with the id of another record of the same type; only the first is in"
                + " this view");
  }

  @Test
  void requireThePerson_aPatientWithoutAFhirId_isAConflict() {
    for (String id : new String[] {null, "p 1", "p".repeat(65)}) {
      Patient p = patient(ASKED);
      p.setId(id);
      assertThatThrownBy(() -> AboutThePerson.requireThePerson(p, ASKED))
          .as(String.valueOf(id))
          .hasMessage(
              "answered with a conflict: its Patient has no FHIR id, so its records cannot be told"
                  + " to be about it");
    }
  }
}
