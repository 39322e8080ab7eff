package org.placeshare.fhir.linkage;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * Birth date: exact, day and month transposed (03/04 for 04/03), one digit mistyped, same year
 * only, or different.
 *
 * <p>u from the synthetic population, whose birth dates spread over 80 years (about 29,000 days):
 * two different people share a date about 1 time in 29,000, a transposed date as rarely, a date one
 * digit away about 1 time in 1,000, a year 1 time in 80. m from the generator: 3% of agency records
 * swap day and month (where both are 12 or less), 3% mistype one digit.
 */
public final class BirthDateComparison implements Comparison {

  public static final Level EXACT = new Level("exact", 0.93, 0.0000345);
  public static final Level DAY_MONTH_SWAPPED = new Level("day and month swapped", 0.03, 0.00003);
  public static final Level ONE_DIGIT = new Level("one digit differs", 0.03, 0.001);
  public static final Level YEAR_ONLY = new Level("same year only", 0.005, 0.012);
  public static final Level DISAGREE = new Level("disagree", 0.005, 0.987);

  public static final BirthDateComparison INSTANCE = new BirthDateComparison();

  private static final DateTimeFormatter DIGITS = DateTimeFormatter.BASIC_ISO_DATE;

  private BirthDateComparison() {}

  @Override
  public String field() {
    return "birthDate";
  }

  public List<Level> levels() {
    return List.of(EXACT, DAY_MONTH_SWAPPED, ONE_DIGIT, YEAR_ONLY, DISAGREE);
  }

  @Override
  public Level compare(Demographics a, Demographics b) {
    LocalDate x = a.birthDate();
    LocalDate y = b.birthDate();
    if (x.equals(y)) {
      return EXACT;
    }
    if (x.getYear() == y.getYear()
        && x.getDayOfMonth() == y.getMonthValue()
        && x.getMonthValue() == y.getDayOfMonth()) {
      return DAY_MONTH_SWAPPED;
    }
    if (digitsDiffering(x, y) == 1) {
      return ONE_DIGIT;
    }
    return x.getYear() == y.getYear() ? YEAR_ONLY : DISAGREE;
  }

  private static int digitsDiffering(LocalDate x, LocalDate y) {
    String p = DIGITS.format(x);
    String q = DIGITS.format(y);
    int differing = 0;
    for (int i = 0; i < p.length(); i++) {
      if (p.charAt(i) != q.charAt(i)) {
        differing++;
      }
    }
    return differing;
  }
}
