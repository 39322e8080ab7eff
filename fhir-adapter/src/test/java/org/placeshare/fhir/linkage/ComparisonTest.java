package org.placeshare.fhir.linkage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ComparisonTest {

  private static final LocalDate BORN = LocalDate.of(1984, 3, 7);
  private static final Demographics JANE =
      Demographics.of("Taylor", "Jane", BORN, "female", "SR1 3AB");

  private static Demographics withBirthDate(LocalDate date) {
    return Demographics.of("Taylor", "Jane", date, "female", "SR1 3AB");
  }

  @Test
  void birthDate_identical_isExact() {
    assertThat(BirthDateComparison.INSTANCE.compare(JANE, withBirthDate(BORN)))
        .isEqualTo(BirthDateComparison.EXACT);
  }

  @Test
  void birthDate_dayAndMonthSwapped_scoresAsAPartialAgreement() {
    Level level =
        BirthDateComparison.INSTANCE.compare(JANE, withBirthDate(LocalDate.of(1984, 7, 3)));
    assertThat(level).isEqualTo(BirthDateComparison.DAY_MONTH_SWAPPED);
    assertThat(level.weight()).isPositive().isLessThan(BirthDateComparison.EXACT.weight());
  }

  @Test
  void birthDate_oneDigitMistyped_scoresAsAPartialAgreement() {
    Level level =
        BirthDateComparison.INSTANCE.compare(JANE, withBirthDate(LocalDate.of(1985, 3, 7)));
    assertThat(level).isEqualTo(BirthDateComparison.ONE_DIGIT);
    assertThat(level.weight())
        .isPositive()
        .isLessThan(BirthDateComparison.DAY_MONTH_SWAPPED.weight());
  }

  @Test
  void birthDate_sameYearOnly_isNoEvidenceForAMatch() {
    Level level =
        BirthDateComparison.INSTANCE.compare(JANE, withBirthDate(LocalDate.of(1984, 11, 22)));
    assertThat(level).isEqualTo(BirthDateComparison.YEAR_ONLY);
    assertThat(level.weight()).isNegative();
  }

  @Test
  void birthDate_different_isEvidenceAgainst() {
    assertThat(
            BirthDateComparison.INSTANCE.compare(JANE, withBirthDate(LocalDate.of(1990, 11, 22))))
        .isEqualTo(BirthDateComparison.DISAGREE);
  }

  @Test
  void familyName_differentCaseAndPunctuation_isExact() {
    Demographics a = Demographics.of("O'Brien", "Jane", BORN, "female", null);
    Demographics b = Demographics.of("  obrien ", "JANE", BORN, "female", null);
    assertThat(NameComparison.FAMILY.compare(a, b))
        .isEqualTo(NameComparison.FAMILY.levels().get(0));
  }

  @Test
  void familyName_earlierFamilyName_scoresAsMarriedName() {
    Demographics index =
        new Demographics(
            "Robson",
            "Jane",
            List.of("Taylor"),
            BORN,
            "female",
            "SR1 3AB",
            List.of(),
            null,
            Optional.empty());
    assertThat(NameComparison.FAMILY.compare(JANE, index).name()).isEqualTo("earlier family name");
  }

  @Test
  void familyName_oneLetterMistyped_isATypo() {
    Demographics typo = Demographics.of("Tayler", "Jane", BORN, "female", "SR1 3AB");
    assertThat(NameComparison.FAMILY.compare(JANE, typo).name()).isEqualTo("typo");
  }

  @Test
  void familyName_spelledDifferentlyButSoundingAlike_isPhonetic() {
    Demographics a = Demographics.of("Philips", "Jane", BORN, "female", null);
    Demographics b = Demographics.of("Fillips", "Jane", BORN, "female", null);
    assertThat(NameComparison.FAMILY.compare(a, b).name()).isEqualTo("sounds alike");
  }

  @Test
  void familyName_unrelated_disagrees() {
    Demographics other = Demographics.of("Khan", "Jane", BORN, "female", "SR1 3AB");
    assertThat(NameComparison.FAMILY.compare(JANE, other).name()).isEqualTo("disagree");
  }

  @Test
  void givenName_knownShortForm_isAShortForm() {
    Demographics a = Demographics.of("Hall", "William", BORN, "male", null);
    Demographics b = Demographics.of("Hall", "Bill", BORN, "male", null);
    assertThat(NameComparison.GIVEN.compare(a, b).name()).isEqualTo("short form");
  }

  @Test
  void givenName_prefix_isAShortForm() {
    Demographics a = Demographics.of("Hall", "Jonathan", BORN, "male", null);
    Demographics b = Demographics.of("Hall", "Jon", BORN, "male", null);
    assertThat(NameComparison.GIVEN.compare(a, b).name()).isEqualTo("short form");
  }

  @Test
  void postcode_sameWithOrWithoutSpace_isExact() {
    Demographics compact = Demographics.of("Taylor", "Jane", BORN, "female", "sr13ab");
    assertThat(PostcodeComparison.INSTANCE.compare(JANE, compact))
        .isEqualTo(PostcodeComparison.EXACT);
  }

  @Test
  void postcode_sameOutwardCode_isWeakerThanExact() {
    Demographics neighbour = Demographics.of("Taylor", "Jane", BORN, "female", "SR1 9ZZ");
    assertThat(PostcodeComparison.INSTANCE.compare(JANE, neighbour))
        .isEqualTo(PostcodeComparison.SAME_OUTWARD_CODE);
  }

  @Test
  void postcode_anEarlierPostcodeOfTheIndex_agreesAsAMove() {
    Demographics moved =
        new Demographics(
            "Taylor",
            "Jane",
            List.of(),
            BORN,
            "female",
            "NE37 1AA",
            List.of("SR1 3AB"),
            null,
            Optional.empty());
    assertThat(PostcodeComparison.INSTANCE.compare(JANE, moved))
        .isEqualTo(PostcodeComparison.EARLIER_POSTCODE);
  }

  @Test
  void postcode_missing_isNotCompared() {
    Demographics none = Demographics.of("Taylor", "Jane", BORN, "female", null);
    assertThat(PostcodeComparison.INSTANCE.compare(JANE, none)).isEqualTo(Level.NOT_COMPARED);
    assertThat(Level.NOT_COMPARED.weight()).isZero();
  }

  @Test
  void gender_differs_isEvidenceAgainst() {
    Demographics male = Demographics.of("Taylor", "Jane", BORN, "male", "SR1 3AB");
    assertThat(GenderComparison.INSTANCE.compare(JANE, male)).isEqualTo(GenderComparison.DISAGREE);
  }

  @Test
  void demographics_postcodeOfWrongShape_isRefused() {
    assertThatThrownBy(() -> Demographics.of("Taylor", "Jane", BORN, "female", "SR1 3A"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected a UK postcode such as SR1 3AB");
  }

  @Test
  void demographics_nameOverTheCap_isRefused() {
    assertThatThrownBy(() -> Demographics.of("T".repeat(36), "Jane", BORN, "female", null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected family of at most 35 characters, got 36");
  }

  @Test
  void demographics_nameWithDigits_isRefused() {
    assertThatThrownBy(() -> Demographics.of("Taylor", "Jane2", BORN, "female", null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected a name of letters, spaces, hyphens, apostrophes and full stops");
  }

  @Test
  void grade_everythingAgrees_isCertain() {
    assertThat(Matcher.grade(JANE, withBirthDate(BORN))).isEqualTo(MatchGrade.CERTAIN);
  }

  @Test
  void grade_differentPeople_isCertainlyNot() {
    Demographics other =
        Demographics.of("Khan", "Farid", LocalDate.of(1950, 1, 2), "male", "NE37 1AA");
    assertThat(Matcher.grade(JANE, other)).isEqualTo(MatchGrade.CERTAINLY_NOT);
  }
}
