package org.placeshare.fhir.linkage;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The outcome of tracing one record against the index: the best-scoring person (none when the index
 * is empty), the score and its grade. An ambiguous best (a second person also scoring CERTAIN) is
 * graded PROBABLE, never CERTAIN.
 */
public record Trace(
    Optional<IndexEntry> best, MatchScore score, MatchGrade grade, boolean ambiguous) {

  /** The NHS number to link automatically: only for a certain, unambiguous match. */
  public Optional<IndexEntry> certainLink() {
    return grade == MatchGrade.CERTAIN ? best : Optional.empty();
  }

  /** The trace given by ranked candidates (best first, as {@link Matcher#rank} gives them). */
  public static Trace of(List<Candidate> ranked) {
    if (ranked.isEmpty()) {
      return new Trace(
          Optional.empty(),
          new MatchScore(Double.NEGATIVE_INFINITY, Map.of()),
          MatchGrade.CERTAINLY_NOT,
          false);
    }
    Candidate best = ranked.get(0);
    boolean ambiguous =
        ranked.size() > 1 && MatchGrade.of(ranked.get(1).score().total()) == MatchGrade.CERTAIN;
    return new Trace(Optional.of(best.entry()), best.score(), best.grade(), ambiguous);
  }
}
