package org.placeshare.fhir.linkage;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.placeshare.policy.NhsNumber;

class MatcherTest {

  private static final LocalDate BORN = LocalDate.of(2012, 5, 14);
  private static final Demographics AVA =
      Demographics.of("Robson", "Ava", BORN, "female", "SR4 7QX");
  private static final Demographics ISLA =
      Demographics.of("Robson", "Isla", BORN, "female", "SR4 7QX");
  private static final List<IndexEntry> TWINS =
      List.of(
          new IndexEntry(NhsNumber.parse("9990000018"), AVA),
          new IndexEntry(NhsNumber.parse("9990000026"), ISLA));

  @Test
  void twinsAtOneAddress_areNeverACertainMatch() {
    assertThat(Matcher.grade(AVA, ISLA)).isNotEqualTo(MatchGrade.CERTAIN);
    // A record of one twin with a typo in her name is not certain for the other either.
    Demographics typo = Demographics.of("Robson", "Islaa", BORN, "female", "SR4 7QX");
    assertThat(Matcher.grade(typo, AVA)).isNotEqualTo(MatchGrade.CERTAIN);
    assertThat(Matcher.best(typo, TWINS).best().orElseThrow().demographics()).isEqualTo(ISLA);
  }

  @Test
  void best_twoIndexPeopleBothCertain_isNeitherCertain() {
    Demographics same = Demographics.of("Robson", "Ava", BORN, "female", "SR4 7QX");
    List<IndexEntry> duplicates =
        List.of(
            new IndexEntry(NhsNumber.parse("9990000018"), AVA),
            new IndexEntry(NhsNumber.parse("9990000026"), same));
    Trace trace = Matcher.best(AVA, duplicates);
    assertThat(trace.ambiguous()).isTrue();
    assertThat(trace.grade()).isEqualTo(MatchGrade.PROBABLE);
    assertThat(trace.certainLink()).isEmpty();
  }

  @Test
  void best_onePersonCertain_linksThatPerson() {
    Trace trace = Matcher.best(AVA, TWINS);
    assertThat(trace.grade()).isEqualTo(MatchGrade.CERTAIN);
    assertThat(trace.certainLink().orElseThrow().nhsNumber())
        .isEqualTo(NhsNumber.parse("9990000018"));
  }

  @Test
  void best_emptyIndex_isCertainlyNot() {
    assertThat(Matcher.best(AVA, List.of()).grade()).isEqualTo(MatchGrade.CERTAINLY_NOT);
  }
}
