package org.placeshare.fhir.linkage;

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
}
