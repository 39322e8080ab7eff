package org.placeshare.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.Test;
import org.placeshare.fhir.linkage.Demographics;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;

class DataQualityTest {

  private static final NhsNumber PERSON = NhsNumber.parse("9990000018");

  private static Patient patient() {
    Patient p = new Patient();
    p.addIdentifier().setSystem(Fhir.NHS_NUMBER_SYSTEM).setValue(PERSON.toString());
    p.addName().setFamily("Jones").addGiven("Sam");
    p.setGender(Enumerations.AdministrativeGender.FEMALE);
    p.setBirthDate(new Date(0));
    p.addAddress().setPostalCode("CV3 4CC");
    return p;
  }

  private static SourceRecords.Found found(String id, Patient p) {
    return new SourceRecords.Found(
        new SourceDescriptor(
            id,
            OdsCode.of("Y90001"),
            URI.create("http://x/fhir"),
            Duration.ofSeconds(1),
            List.of()),
        p,
        List.of());
  }

  @Test
  void agreeingSources_haveNoFindings_whateverTheCaseAndSpacing() {
    Patient same = patient();
    same.getNameFirstRep().setFamily("JONES ");
    same.getAddressFirstRep().setPostalCode("cv34cc");

    assertThat(DataQuality.check(PERSON, List.of(found("gp", patient()), found("acute", same))))
        .isEmpty();
  }

  @Test
  void disagreementsAndGaps_areNamedByFieldWithoutValues() {
    Patient other = patient();
    other.setBirthDate(new Date(86_400_000L));
    other.getAddressFirstRep().setPostalCode(null);

    List<DataQuality.Finding> findings =
        DataQuality.check(PERSON, List.of(found("gp", patient()), found("acute", other)));

    assertThat(findings)
        .extracting(DataQuality.Finding::message)
        .containsExactly("acute disagrees with gp on birth date", "acute has no postcode");
    assertThat(DataQuality.outcome(findings).getIssue())
        .allSatisfy(i -> assertThat(i.getDiagnostics()).doesNotContain("1970"));
  }

  @Test
  void aSecondNhsNumber_orAnInvalidOne_isAFinding() {
    Patient twoNumbers = patient();
    twoNumbers.addIdentifier().setSystem(Fhir.NHS_NUMBER_SYSTEM).setValue("1234567890");

    assertThat(DataQuality.check(PERSON, List.of(found("gp", twoNumbers))))
        .extracting(DataQuality.Finding::message)
        .containsExactly("gp holds 2 NHS numbers, not one", "gp holds an invalid NHS number");
  }

  @Test
  void againstTheIndex_eachSourceIsComparedWithItsRecord_readAsTracingReadsNames() {
    // The index holds her as tracing normalises: SAM O'NEILL-JONES, 1 Jan 1970, CV3 4CC.
    Demographics index =
        Demographics.of("O'Neill-Jones", "Sam", LocalDate.of(1970, 1, 1), "female", "CV3 4CC");
    Patient sameName = patient();
    sameName.getNameFirstRep().setFamily("ONeill Jones");
    Patient police = patient();
    police.getNameFirstRep().setFamily("O'Neill-Jones").getGiven().clear();
    police.getNameFirstRep().addGiven("Samantha");
    police.getAddressFirstRep().setPostalCode("SR1 3AB");

    List<DataQuality.Finding> findings =
        DataQuality.againstIndex(
            Optional.of(index), List.of(found("gp", sameName), found("police-npf", police)));

    assertThat(findings)
        .extracting(DataQuality.Finding::message)
        .containsExactly(
            "police-npf disagrees with the reference index on given name",
            "police-npf disagrees with the reference index on postcode");
  }

  @Test
  void againstTheIndex_holdingNobodyWithTheNumber_isAFinding() {
    assertThat(DataQuality.againstIndex(Optional.empty(), List.of(found("gp", patient()))))
        .extracting(DataQuality.Finding::message)
        .containsExactly("the reference index holds nobody with this NHS number");
  }
}
