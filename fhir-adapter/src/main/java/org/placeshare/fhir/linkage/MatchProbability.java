package org.placeshare.fhir.linkage;

/**
 * A match weight in bits as a probability, as Splink gives one: {@code p = 2^w / (1 + 2^w)}, where
 * {@code w} is the pair's weight plus the prior's: the log2 odds that two records picked from the
 * index's neighbourhood are the same person before any field is compared ({@value #PRIOR_BITS}
 * bits, about one in 130,000). So a pair at the CERTAIN threshold (27 bits) has p of about 0.999,
 * at PROBABLE (20) about 0.89, at POSSIBLE (12) about 0.03.
 */
public final class MatchProbability {

  /** log2 of the prior odds of a match, before comparing any field. */
  public static final int PRIOR_BITS = -17;

  private MatchProbability() {}

  /** The probability, 0 to 1, that a pair scoring {@code bits} is one person. */
  public static double of(double bits) {
    if (Double.isInfinite(bits)) {
      return bits > 0 ? 1 : 0;
    }
    double odds = Math.pow(2, bits + PRIOR_BITS);
    return odds / (1 + odds);
  }
}
