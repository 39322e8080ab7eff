package org.placeshare.fhir.linkage;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Probabilistic record linkage in the Fellegi-Sunter tradition (Fellegi and Sunter, "A Theory for
 * Record Linkage", JASA 1969; as in the UK's Splink): each field comparison gives a level with m
 * and u probabilities, the pair's score is the sum of log2(m/u), and thresholds grade it. Pure and
 * side-effect free.
 */
public final class Matcher {

  /** The comparisons, in the order a score lists them. */
  public static final List<Comparison> COMPARISONS =
      List.of(
          NameComparison.FAMILY,
          NameComparison.GIVEN,
          BirthDateComparison.INSTANCE,
          PostcodeComparison.INSTANCE,
          GenderComparison.INSTANCE);

  private Matcher() {}

  public static MatchScore score(Demographics a, Demographics b) {
    Map<String, Level> levels = new LinkedHashMap<>();
    double total = 0;
    for (Comparison comparison : COMPARISONS) {
      Level level = comparison.compare(a, b);
      levels.put(comparison.field(), level);
      total += level.weight();
    }
    return new MatchScore(total, levels);
  }

  /** The grade of one pair on its own. */
  public static MatchGrade grade(Demographics a, Demographics b) {
    return MatchGrade.of(score(a, b).total());
  }

  /**
   * Traces a candidate against every person of the index. Two people both scoring CERTAIN make
   * neither certain: the best is then graded PROBABLE, for a person to decide.
   */
  public static Trace best(Demographics candidate, List<IndexEntry> index) {
    IndexEntry best = null;
    MatchScore bestScore = null;
    int certain = 0;
    for (IndexEntry entry : index) {
      MatchScore score = score(candidate, entry.demographics());
      if (MatchGrade.of(score.total()) == MatchGrade.CERTAIN) {
        certain++;
      }
      if (bestScore == null || score.total() > bestScore.total()) {
        best = entry;
        bestScore = score;
      }
    }
    if (best == null) {
      return new Trace(
          Optional.empty(),
          new MatchScore(Double.NEGATIVE_INFINITY, Map.of()),
          MatchGrade.CERTAINLY_NOT,
          false);
    }
    boolean ambiguous = certain > 1;
    MatchGrade grade = MatchGrade.of(bestScore.total());
    return new Trace(
        Optional.of(best), bestScore, ambiguous ? MatchGrade.PROBABLE : grade, ambiguous);
  }
}
