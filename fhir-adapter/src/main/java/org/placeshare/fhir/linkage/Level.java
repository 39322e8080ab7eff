package org.placeshare.fhir.linkage;

/**
 * One outcome of a field comparison with its Fellegi-Sunter probabilities: {@code m} that a true
 * match shows it, {@code u} that two different people do. Its weight is log2(m/u): positive
 * evidence for a match when m exceeds u, against when u exceeds m.
 */
public record Level(String name, double m, double u) {

  /** Absent on either side: no evidence either way. */
  public static final Level NOT_COMPARED = new Level("not compared", 1, 1);

  public Level {
    if (!(m > 0 && m <= 1 && u > 0 && u <= 1)) {
      throw new IllegalArgumentException(
          "expected m and u in (0, 1], got m=" + m + " u=" + u + " for " + name);
    }
  }

  public double weight() {
    return Math.log(m / u) / Math.log(2);
  }
}
