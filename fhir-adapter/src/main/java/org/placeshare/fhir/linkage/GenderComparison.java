package org.placeshare.fhir.linkage;

import java.util.List;

/**
 * Gender: agree or disagree. Half of any two people agree by chance (u = 0.5); the generator
 * records the wrong gender for 1% of agency records (m = 0.99). "unknown" is not compared.
 */
public final class GenderComparison implements Comparison {

  public static final Level AGREE = new Level("agree", 0.99, 0.5);
  public static final Level DISAGREE = new Level("disagree", 0.01, 0.5);

  public static final GenderComparison INSTANCE = new GenderComparison();

  private GenderComparison() {}

  @Override
  public String field() {
    return "gender";
  }

  public List<Level> levels() {
    return List.of(AGREE, DISAGREE);
  }

  @Override
  public Level compare(Demographics a, Demographics b) {
    if (a.gender() == null
        || b.gender() == null
        || a.gender().equals("unknown")
        || b.gender().equals("unknown")) {
      return Level.NOT_COMPARED;
    }
    return a.gender().equals(b.gender()) ? AGREE : DISAGREE;
  }
}
