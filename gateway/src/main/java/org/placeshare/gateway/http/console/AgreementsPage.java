package org.placeshare.gateway.http.console;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every agreement in force: its terms, its business case, and its use per day over the last {@link
 * #CHART_DAYS} days as a chart and a table.
 */
public record AgreementsPage(Chrome chrome, List<Agreement> agreements) implements ConsolePage {

  /** How many days of use the page shows. */
  public static final int CHART_DAYS = 30;

  /** One agreement's section. */
  public record Agreement(
      String id,
      String heading,
      String terms,
      String parties,
      String purpose,
      Optional<List<Listing>> businessCase,
      Chart chart,
      List<Day> days) {}

  /** One list of the business case (costs, savings, measures), as lines of text. */
  public record Listing(String heading, List<String> items) {}

  /** One day's use of an agreement. */
  public record Day(
      LocalDate day, long requests, long permitted, long refused, long people, long records) {}

  /** Permitted and refused requests per day, as bars of at most 100 pixels. */
  public record Chart(
      String agreement, LocalDate from, LocalDate to, long tallest, List<Bar> bars) {

    public int width() {
      return 20 + CHART_DAYS * 12;
    }

    /** The bars of the last {@link #CHART_DAYS} days up to today, days without use empty. */
    public static Chart of(String agreement, LocalDate today, Map<LocalDate, Day> days) {
      long tallest = Math.max(1, days.values().stream().mapToLong(Day::requests).max().orElse(1));
      List<Bar> bars = new ArrayList<>();
      for (int i = 0; i < CHART_DAYS; i++) {
        Day n = days.get(today.minusDays(CHART_DAYS - 1L - i));
        int permitted = n == null ? 0 : (int) (100 * n.permitted() / tallest);
        int refused = n == null ? 0 : (int) (100 * n.refused() / tallest);
        bars.add(new Bar(20 + i * 12, permitted, refused));
      }
      return new Chart(agreement, today.minusDays(CHART_DAYS - 1L), today, tallest, bars);
    }
  }

  /** One day's bar: refused stacked on permitted, on a baseline at y = 110. */
  public record Bar(int x, int permitted, int refused) {

    public int permittedY() {
      return 110 - permitted;
    }

    public int refusedY() {
      return 110 - permitted - refused;
    }
  }

  @Override
  public String template() {
    return "agreements.jte";
  }
}
