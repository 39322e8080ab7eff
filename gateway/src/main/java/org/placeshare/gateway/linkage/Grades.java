package org.placeshare.gateway.linkage;

import java.util.Locale;
import org.placeshare.fhir.linkage.MatchGrade;

/** Match grades and scores as the register stores them and the steward's API shows them. */
final class Grades {

  private Grades() {}

  /** "certain", "probable", "possible", "certainly-not": the FHIR match-grade codes. */
  static String code(MatchGrade grade) {
    return grade.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  static MatchGrade of(String code) {
    return MatchGrade.valueOf(code.toUpperCase(Locale.ROOT).replace('-', '_'));
  }

  /** Scores in bits to two places: finer is noise to a reader. */
  static double round(double score) {
    return Double.isFinite(score) ? Math.round(score * 100) / 100.0 : score;
  }
}
