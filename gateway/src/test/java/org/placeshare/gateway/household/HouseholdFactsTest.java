package org.placeshare.gateway.household;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import org.hl7.fhir.r4.model.Address;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.RelatedPerson;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StringType;
import org.junit.jupiter.api.Test;
import org.placeshare.fhir.Fhir;
import org.placeshare.fhir.SourceDescriptor;
import org.placeshare.fhir.SourceRecords;
import org.placeshare.fhir.index.IndexPatient;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;

/** What a source's Patient and RelatedPersons say of a household, and what they do not. */
class HouseholdFactsTest {

  private static final NhsNumber CHILD = NhsNumber.parse("9990000018");
  private static final NhsNumber MOTHER = NhsNumber.parse("9990000026");
  private static final LocalDate SEEN = LocalDate.of(2026, 11, 22);

  static SourceRecords.Found found(String source, Patient patient, Resource... resources) {
    SourceDescriptor d =
        new SourceDescriptor(
            source,
            OdsCode.of("Y90001"),
            URI.create("http://localhost/fhir"),
            Duration.ofSeconds(5),
            List.of("Patient", "RelatedPerson"));
    return new SourceRecords.Found(d, patient, List.of(resources), List.of(), 0, List.of());
  }

  static RelatedPerson related(NhsNumber other, String roleCode) {
    RelatedPerson r = new RelatedPerson();
    r.setPatient(new Reference("Patient/1"));
    r.addIdentifier().setSystem(Fhir.NHS_NUMBER_SYSTEM).setValue(other.toString());
    r.addRelationship()
        .addCoding()
        .setSystem("http://terminology.hl7.org/CodeSystem/v3-RoleCode")
        .setCode(roleCode);
    return r;
  }

  static Address withUprn(Address a, String uprn) {
    Extension key = a.addExtension().setUrl(IndexPatient.ADDRESS_KEY_EXTENSION);
    key.addExtension("type", new Coding().setCode("UPRN"));
    key.addExtension("value", new StringType(uprn));
    return a;
  }

  @Test
  void in_addressesWithPeriodsAndUprn_becomeResidences() {
    Patient p = new Patient();
    withUprn(
        p.addAddress()
            .setUse(Address.AddressUse.HOME)
            .setPostalCode("CV1 5AB")
            .addLine("14 Harnall Ln"),
        "100071234567");
    p.getAddressFirstRep().getPeriod().setStartElement(new DateTimeType("2024-03-01"));
    Address old =
        p.addAddress().setUse(Address.AddressUse.OLD).setPostalCode("CV2 4GA").addLine("1 Main St");
    old.getPeriod().setStartElement(new DateTimeType("2019-05-01"));
    old.getPeriod().setEndElement(new DateTimeType("2024-02-29"));
    p.addAddress().setUse(Address.AddressUse.WORK).setPostalCode("CV1 2AA").addLine("The Works");
    p.addAddress().setUse(Address.AddressUse.OLD).setPostalCode("CV3 3CC").addLine("No dates");

    HouseholdFacts facts = HouseholdFacts.in(CHILD, found("gp", p), SEEN);

    assertThat(facts.residences())
        .containsExactly(
            new Residence(
                CHILD,
                new AddressKey("uprn:100071234567"),
                "gp",
                LocalDate.of(2024, 3, 1),
                Optional.empty()),
            new Residence(
                CHILD,
                AddressKey.address("CV2 4GA", "1 Main Street").orElseThrow(),
                "gp",
                LocalDate.of(2019, 5, 1),
                Optional.of(LocalDate.of(2024, 2, 29))));
  }

  private static AddressKey keyOf(String postcode, String... lines) {
    Patient p = new Patient();
    Address a = p.addAddress().setUse(Address.AddressUse.HOME).setPostalCode(postcode);
    for (String line : lines) {
      a.addLine(line);
    }
    List<Residence> residences = HouseholdFacts.in(CHILD, found("gp", p), SEEN).residences();
    return residences.isEmpty() ? null : residences.get(0).address();
  }

  @Test
  void in_sameFlatNumberInDifferentHouses_isKeyedByEveryLine_soTheHousesAreDifferentKeys() {
    AddressKey at14 = keyOf("CV1 2AB", "Flat 2", "14 Harnall Lane");
    AddressKey at16 = keyOf("CV1 2AB", "Flat 2", "16 Harnall Lane");

    assertThat(at14).isNotNull().isNotEqualTo(at16);
    assertThat(at16).isNotNull();
    // The same address on one line or on two is one key.
    assertThat(at14).isEqualTo(AddressKey.address("CV1 2AB", "Flat 2, 14 Harnall Ln").get());
  }

  @Test
  void in_differentFlatsOfOneNamedBlock_areDifferentKeys() {
    AddressKey flat7 = keyOf("CV1 2AB", "Harnall Court", "Flat 7");
    AddressKey flat9 = keyOf("CV1 2AB", "Harnall Court", "Flat 9");

    assertThat(flat7).isNotNull().isNotEqualTo(flat9);
    assertThat(flat9).isNotNull();
  }

  @Test
  void in_zeroUprnOrPlaceholderLines_giveNoKeyOfTheirOwn() {
    Patient p = new Patient();
    withUprn(
        p.addAddress().setPostalCode("CV1 2AB").addLine("Flat Б").addLine("Harnall Court"), "0");
    withUprn(p.addAddress().setPostalCode("CV1 2AB").addLine("Unknown"), "000000000000");

    assertThat(HouseholdFacts.in(CHILD, found("gp", p), SEEN).residences()).isEmpty();
  }

  @Test
  void in_tooManyLines_isNoKey() {
    String[] lines = new String[AddressKey.MAX_LINES + 1];
    java.util.Arrays.fill(lines, "14 Harnall Lane");

    assertThat(keyOf("CV1 2AB", lines)).isNull();
    assertThat(keyOf("CV1 2AB", java.util.Arrays.copyOf(lines, AddressKey.MAX_LINES))).isNotNull();
  }

  @Test
  void in_undatedHomeAddress_isLivedAtFromTheDayItWasSeen() {
    Patient p = new Patient();
    p.addAddress().setPostalCode("SR1 3AB").addLine("9 Hylton Road");

    assertThat(HouseholdFacts.in(CHILD, found("gp", p), SEEN).residences())
        .extracting(Residence::from)
        .containsExactly(SEEN);
  }

  @Test
  void in_relatedParentOrChildWithAnNhsNumber_isATie() {
    NhsNumber son = NhsNumber.parse("9990000034");
    HouseholdFacts facts =
        HouseholdFacts.in(
            MOTHER, found("gp", new Patient(), related(CHILD, "DAU"), related(son, "SONC")), SEEN);
    HouseholdFacts fromChild =
        HouseholdFacts.in(CHILD, found("gp", new Patient(), related(MOTHER, "MTH")), SEEN);

    assertThat(facts.ties())
        .containsExactly(
            new FamilyTie(MOTHER, CHILD, FamilyTie.Kind.PARENT, "gp"),
            new FamilyTie(MOTHER, son, FamilyTie.Kind.PARENT, "gp"));
    assertThat(fromChild.ties())
        .containsExactly(new FamilyTie(MOTHER, CHILD, FamilyTie.Kind.PARENT, "gp"));
  }

  @Test
  void in_contactsLinksOtherRelationsAndPeopleWithoutAnNhsNumber_areNoTies() {
    Patient p = new Patient();
    p.addContact().addRelationship().addCoding().setCode("MTH");
    p.addLink().setOther(new Reference("Patient/other"));
    RelatedPerson neighbour = related(MOTHER, "NBOR");
    RelatedPerson noNumber = related(MOTHER, "MTH");
    noNumber.getIdentifier().clear();
    RelatedPerson themselves = related(CHILD, "MTH");
    RelatedPerson otherSystem = related(MOTHER, "MTH");
    otherSystem.getRelationshipFirstRep().getCodingFirstRep().setSystem("http://example.org/x");

    HouseholdFacts facts =
        HouseholdFacts.in(
            CHILD, found("gp", p, neighbour, noNumber, themselves, otherSystem), SEEN);

    assertThat(facts.ties()).isEmpty();
  }

  @Test
  void in_naturalParentCodes_areNoTies() {
    HouseholdFacts facts =
        HouseholdFacts.in(
            CHILD,
            found(
                "gp",
                new Patient(),
                related(MOTHER, "NPRN"),
                related(MOTHER, "NMTH"),
                related(NhsNumber.parse("9990000034"), "NFTH")),
            SEEN);

    assertThat(facts.ties()).isEmpty();
  }

  @Test
  void in_oneSourceStatingMoreChildrenThanTheCap_keepsNoneOfItsTies() {
    List<Resource> children = new java.util.ArrayList<>();
    int n = 0;
    for (int i = 100; n < 19; i++) {
      var child = NhsNumber.withCheckDigit(String.format("999%06d", i));
      if (child.isPresent()) {
        children.add(related(child.get(), "CHILD"));
        n++;
      }
    }

    HouseholdFacts facts =
        HouseholdFacts.in(
            MOTHER, found("hostile", new Patient(), children.toArray(Resource[]::new)), SEEN);

    assertThat(facts.ties()).isEmpty();
  }

  @Test
  void disagreement_sourcesAtDifferentAddresses_isAFindingNamingSourcesOnly() {
    Patient gp = new Patient();
    gp.addAddress().setPostalCode("CV1 5AB").addLine("14 Harnall Lane");
    Patient council = new Patient();
    council.addAddress().setPostalCode("CV4 9ZZ").addLine("80 Low Road");
    Patient school = new Patient();
    withUprn(school.addAddress().setPostalCode("CV1 5AB").addLine("14 Harnall Ln"), "1234");
    Patient police = new Patient(); // no address: nothing to disagree with

    var findings =
        AddressDisagreement.among(
            CHILD,
            List.of(
                found("gp", gp),
                found("council", council),
                found("schools", school),
                found("police", police)),
            SEEN);

    assertThat(findings).hasSize(1);
    assertThat(findings.get(0).source()).isEqualTo("council");
    assertThat(findings.get(0).field()).isEqualTo("address");
    assertThat(findings.get(0).message())
        .isEqualTo(
            "sources disagree on where the person lives: council gives another address than gp on 2026-11-22")
        .doesNotContain("Low Road");
  }
}
