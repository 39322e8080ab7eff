package org.placeshare.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.DateType;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.Test;
import org.placeshare.policy.CodeNarrowing;
import org.placeshare.policy.Generalisation;
import org.placeshare.policy.Obligations;
import org.placeshare.policy.SensitiveCategory;
import org.placeshare.policy.SensitiveCodes;

class ReleaseObligationsTest {

  private static final String SNOMED = "http://snomed.info/sct";

  private static Obligations obligations(
      Set<String> remove,
      Map<String, Generalisation> generalise,
      List<CodeNarrowing> narrowing,
      boolean pseudonymise) {
    return new Obligations(
        Set.of("Patient", "Condition"),
        narrowing,
        SensitiveCodes.bundled().codes(SensitiveCategory.SEXUAL_HEALTH),
        SensitiveCodes.bundled().version(),
        remove,
        generalise,
        pseudonymise ? Optional.of("agreement") : Optional.empty(),
        Optional.of("R"));
  }

  private static Patient patient() {
    Patient p = new Patient();
    p.addIdentifier().setSystem(Fhir.NHS_NUMBER_SYSTEM).setValue("9990000018");
    p.setBirthDateElement(new DateType("1956-03-14"));
    p.addTelecom().setValue("07700 900000");
    p.addAddress().setPostalCode("CV1 2AB").addLine("1 Example Street");
    return p;
  }

  private static Condition condition(String code) {
    Condition c = new Condition();
    c.getCode().addCoding().setSystem(SNOMED).setCode(code);
    return c;
  }

  @Test
  void apply_patient_removesGeneralisesAndLabels() {
    Obligations o =
        obligations(
            Set.of("Patient.telecom", "Patient.address.line"),
            Map.of(
                "Patient.birthDate", Generalisation.YEAR,
                "Patient.address.postalCode", Generalisation.DISTRICT),
            List.of(),
            false);

    Patient released = (Patient) ReleaseObligations.apply(patient(), o).orElseThrow();

    assertThat(released.hasTelecom()).isFalse();
    assertThat(released.getAddressFirstRep().hasLine()).isFalse();
    assertThat(released.getAddressFirstRep().getPostalCode()).isEqualTo("CV1");
    assertThat(released.getBirthDateElement().getValueAsString()).isEqualTo("1956");
    assertThat(released.getIdentifierFirstRep().getValue()).isEqualTo("9990000018");
    assertThat(released.getMeta().getSecurity())
        .singleElement()
        .satisfies(c -> assertThat(c.getCode()).isEqualTo("R"));
  }

  @Test
  void apply_narrativeOfTheSource_doesNotLeave_itWouldShowWhatObligationsRemove() {
    Obligations o =
        obligations(
            Set.of("Patient.telecom", "Patient.address.line"),
            Map.of("Patient.birthDate", Generalisation.YEAR),
            List.of(),
            false);
    Patient p = patient();
    p.getText()
        .setStatus(org.hl7.fhir.r4.model.Narrative.NarrativeStatus.GENERATED)
        .setDivAsString(
            "<div xmlns=\"http://www.w3.org/1999/xhtml\">Born 1956-03-14, 1 Example Street,"
                + " 07700 900000, <a href=\"http://10.0.0.7:8101/fhir/Patient/p1\">record</a></div>");
    Patient contained = new Patient();
    contained.setId("c1");
    Condition c = condition("38341003");
    c.getText()
        .setDivAsString("<div xmlns=\"http://www.w3.org/1999/xhtml\">1 Example Street</div>");

    Patient released = (Patient) ReleaseObligations.apply(p, o).orElseThrow();
    Condition condition = (Condition) ReleaseObligations.apply(c, o).orElseThrow();

    assertThat(Fhir.encode(released))
        .doesNotContain("1956-03-14")
        .doesNotContain("Example Street")
        .doesNotContain("07700")
        .doesNotContain("10.0.0.7");
    assertThat(Fhir.encode(condition)).doesNotContain("Example Street");
  }

  @Test
  void apply_sensitiveCodeNotNamed_dropsTheResource() {
    Obligations o = obligations(Set.of(), Map.of(), List.of(), false);

    assertThat(ReleaseObligations.apply(condition("86406008"), o)).isEmpty();
    assertThat(ReleaseObligations.apply(condition("44054006"), o)).isPresent();
  }

  @Test
  void apply_narrowedType_keepsOnlyTheNamedCodes() {
    Obligations o =
        obligations(
            Set.of(),
            Map.of(),
            List.of(new CodeNarrowing("Condition", SNOMED, Set.of("44054006"))),
            false);

    assertThat(ReleaseObligations.apply(condition("44054006"), o)).isPresent();
    assertThat(ReleaseObligations.apply(condition("13645005"), o)).isEmpty();
    assertThat(ReleaseObligations.apply(patient(), o)).isPresent();
  }

  @Test
  void apply_pseudonymise_leavesNoIdentifierValue() {
    Patient released =
        (Patient)
            ReleaseObligations.apply(patient(), obligations(Set.of(), Map.of(), List.of(), true))
                .orElseThrow();

    assertThat(Fhir.encode(released)).doesNotContain("9990000018");
  }

  @Test
  void apply_pseudonymiseWithAKey_givesAStablePseudonymPerAgreement() {
    Pseudonyms key = new Pseudonyms(new byte[32]);
    Obligations terms = obligations(Set.of(), Map.of(), List.of(), true);

    Patient once =
        (Patient) ReleaseObligations.apply(patient(), terms, Optional.of(key)).orElseThrow();
    Patient again =
        (Patient) ReleaseObligations.apply(patient(), terms, Optional.of(key)).orElseThrow();

    var id = once.getIdentifierFirstRep();
    assertThat(id.getSystem()).isEqualTo("urn:placeshare:pseudonym:agreement");
    assertThat(id.getValue()).hasSize(22).isEqualTo(again.getIdentifierFirstRep().getValue());
    assertThat(Fhir.encode(once)).doesNotContain("9990000018");
    assertThat(key.of("another-agreement", Fhir.NHS_NUMBER_SYSTEM, "9990000018"))
        .isNotEqualTo(id.getValue());
    assertThat(
            new Pseudonyms(
                    new byte[] {
                      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                      23, 24, 25, 26, 27, 28, 29, 30, 31, 32
                    })
                .of("agreement", Fhir.NHS_NUMBER_SYSTEM, "9990000018"))
        .as("another key, another pseudonym")
        .isNotEqualTo(id.getValue());
  }

  /** A GP's Condition, as its server holds it: its own id and references to its other records. */
  private static Condition held() {
    Condition c = condition("44054006");
    c.setId("gp-3-cond-0");
    c.getSubject().setReference("urn:uuid:2b1c8e0a-0000-4000-8000-000000000001");
    c.getEncounter().setReference("Encounter/gp-3-enc-0/_history/2");
    c.getAsserter().setReference("https://elsewhere.example/fhir/Practitioner/p1");
    c.addEvidence().addDetail().setReference("#contained-1");
    return c;
  }

  @Test
  void pseudonymiseIds_replacesTheIdAndSameSourceReferences_stablyPerAgreementAndSource() {
    Pseudonyms key = new Pseudonyms(new byte[32]);
    String gp = "http://gp.example/fhir";
    Condition once = held();
    Condition again = held();
    ReleaseObligations.pseudonymiseIds(
        once, PopulatedElements.of(once, Reference.class), gp, "agreement", key);
    ReleaseObligations.pseudonymiseIds(
        again, PopulatedElements.of(again, Reference.class), gp, "agreement", key);

    String id = once.getIdElement().getIdPart();
    assertThat(id).matches("[0-9a-f]{32}").isEqualTo(again.getIdElement().getIdPart());
    // The reference resolves to the pseudonym the Encounter itself would get.
    assertThat(once.getEncounter().getReference())
        .isEqualTo("Encounter/" + key.id("agreement", gp + "/Encounter", "gp-3-enc-0"));
    assertThat(once.getSubject().getReference())
        .isEqualTo("urn:uuid:2b1c8e0a-0000-4000-8000-000000000001");
    assertThat(once.getEvidenceFirstRep().getDetailFirstRep().getReference())
        .isEqualTo("#contained-1");
    assertThat(once.getAsserter().getReference()).as("another server's record").isNull();
    assertThat(Fhir.encode(once)).doesNotContain("gp-3").doesNotContain("elsewhere");

    Condition otherAgreement = held();
    ReleaseObligations.pseudonymiseIds(
        otherAgreement,
        PopulatedElements.of(otherAgreement, Reference.class),
        gp,
        "another-agreement",
        key);
    Condition otherSource = held();
    ReleaseObligations.pseudonymiseIds(
        otherSource,
        PopulatedElements.of(otherSource, Reference.class),
        "http://acute.example/fhir",
        "agreement",
        key);
    assertThat(otherAgreement.getIdElement().getIdPart()).isNotEqualTo(id);
    assertThat(otherSource.getIdElement().getIdPart()).isNotEqualTo(id);
  }

  @Test
  void apply_otherPeopleNotNamed_keepsTheRelationshipButNotWhoTheyAre() {
    Obligations withheld =
        new Obligations(
            Set.of("Patient", "RelatedPerson"),
            List.of(),
            List.of(),
            "",
            Set.of(),
            Map.of(),
            Optional.empty(),
            Optional.empty());
    org.hl7.fhir.r4.model.RelatedPerson carer = new org.hl7.fhir.r4.model.RelatedPerson();
    carer.addIdentifier().setSystem("https://council.example/carer-id").setValue("C-7");
    carer.addName().setFamily("Carer");
    carer.addTelecom().setValue("07700 900001");
    carer.getRelationshipFirstRep().addCoding().setCode("DAU");
    Patient p = patient();
    p.addContact().addRelationship().setText("next of kin");
    p.getContactFirstRep().getName().setFamily("Kin");
    p.addLink().setOther(new org.hl7.fhir.r4.model.Reference("Patient/another-record"));
    Condition c = condition("44054006");
    c.addContained(new Patient().addName(new org.hl7.fhir.r4.model.HumanName().setFamily("Kin")));

    String carerJson = Fhir.encode(ReleaseObligations.apply(carer, withheld).orElseThrow());
    String patientJson = Fhir.encode(ReleaseObligations.apply(p, withheld).orElseThrow());
    String named =
        Fhir.encode(
            ReleaseObligations.apply(
                    carer,
                    new Obligations(
                        Set.of("RelatedPerson"),
                        List.of(),
                        List.of(),
                        "",
                        Set.of(),
                        Map.of(),
                        Optional.empty(),
                        Optional.empty(),
                        true))
                .orElseThrow());
    String conditionJson =
        Fhir.encode(
            ReleaseObligations.apply(c, withheld.withResourceTypes(Set.of("Condition")))
                .orElseThrow());

    assertThat(carerJson).contains("DAU").doesNotContain("C-7", "Carer", "07700");
    assertThat(patientJson).doesNotContain("Kin", "another-record").contains("9990000018");
    assertThat(conditionJson).doesNotContain("contained", "Kin");
    assertThat(named).contains("DAU");
  }

  @Test
  void apply_typeOutOfScope_dropsIt() {
    assertThat(
            ReleaseObligations.apply(
                new org.hl7.fhir.r4.model.MedicationStatement(),
                obligations(Set.of(), Map.of(), List.of(), false)))
        .isEmpty();
  }

  @Test
  void district_ofPostcodes() {
    assertThat(ReleaseObligations.district("cv1 2ab")).isEqualTo("CV1");
    assertThat(ReleaseObligations.district("CV12AB")).isEqualTo("CV1");
    assertThat(ReleaseObligations.district("B11AA")).isEqualTo("B1");
  }
}
