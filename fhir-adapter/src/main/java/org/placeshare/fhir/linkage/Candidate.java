package org.placeshare.fhir.linkage;

import java.util.Objects;

/**
 * One person of the index as a candidate for a trace: who, how well they scored, and the grade the
 * trace gives them (never CERTAIN when another candidate also scores CERTAIN).
 */
public record Candidate(IndexEntry entry, MatchScore score, MatchGrade grade) {

  public Candidate {
    Objects.requireNonNull(entry, "entry");
    Objects.requireNonNull(score, "score");
    Objects.requireNonNull(grade, "grade");
  }
}
