package org.placeshare.fhir.linkage;

import java.util.Map;

/**
 * A pair's total match weight in bits: the sum of each field's log2(m/u), so each 1 is twice the
 * odds of a match. {@code levels} says which level each field agreed at, for review and audit.
 */
public record MatchScore(double total, Map<String, Level> levels) {

  public MatchScore {
    levels = Map.copyOf(levels);
  }
}
