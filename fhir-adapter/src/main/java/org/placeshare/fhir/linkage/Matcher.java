package org.placeshare.fhir.linkage;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
    return score(a, b, new NameSounds());
  }

  private static MatchScore score(Demographics a, Demographics b, NameSounds sounds) {
    Map<String, Level> levels = new LinkedHashMap<>();
    double total = 0;
    for (Comparison comparison : COMPARISONS) {
      Level level =
          comparison instanceof NameComparison names
              ? names.compare(a, b, sounds)
              : comparison.compare(a, b);
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
   * Every person of the index scored against a record, best first. Two people both scoring CERTAIN
   * make neither certain: each is then graded PROBABLE, for a person to decide.
   */
  public static List<Candidate> rank(Demographics record, List<IndexEntry> index) {
    List<Candidate> scored = new ArrayList<>(index.size());
    int certain = 0;
    NameSounds sounds = new NameSounds();
    for (IndexEntry entry : index) {
      MatchScore score = score(record, entry.demographics(), sounds);
      MatchGrade grade = MatchGrade.of(score.total());
      if (grade == MatchGrade.CERTAIN) {
        certain++;
      }
      scored.add(new Candidate(entry, score, grade));
    }
    boolean ambiguous = certain > 1;
    return scored.stream()
        .map(
            c ->
                ambiguous && c.grade() == MatchGrade.CERTAIN
                    ? new Candidate(c.entry(), c.score(), MatchGrade.PROBABLE)
                    : c)
        .sorted(Comparator.comparingDouble((Candidate c) -> c.score().total()).reversed())
        .toList();
  }

  /** Traces a record against every person of the index: its best candidate, graded. */
  public static Trace best(Demographics record, List<IndexEntry> index) {
    return Trace.of(rank(record, index));
  }
}
