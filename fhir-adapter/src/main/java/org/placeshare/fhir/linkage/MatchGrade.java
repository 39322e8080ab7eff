package org.placeshare.fhir.linkage;

/**
 * Match grades, as NHS PDS and FHIR's match-grade extension name them. Only CERTAIN links a record
 * without a person looking; PROBABLE and POSSIBLE go to a data steward's review.
 *
 * <p>Thresholds in bits (see {@link MatchScore}). CERTAIN (27) is above what twins at one address
 * score (everything but the given name, about 25) and what two people sharing a name and birth date
 * in one district score (about 26.6), and below a true match with one mistyped birth-date digit and
 * everything else agreeing (about 27.6).
 */
public enum MatchGrade {
  CERTAIN(27),
  PROBABLE(20),
  POSSIBLE(12),
  CERTAINLY_NOT(Double.NEGATIVE_INFINITY);

  private final double threshold;

  MatchGrade(double threshold) {
    this.threshold = threshold;
  }

  public double threshold() {
    return threshold;
  }

  public static MatchGrade of(double score) {
    for (MatchGrade grade : values()) {
      if (score >= grade.threshold) {
        return grade;
      }
    }
    return CERTAINLY_NOT;
  }
}
