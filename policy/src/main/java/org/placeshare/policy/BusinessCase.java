package org.placeshare.policy;

import java.math.BigDecimal;
import java.util.Currency;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Step 1 of the sharing model in figures: what the sharing costs, the savings the parties expect,
 * and the measures they will judge it by. Stated by the parties in the agreement's {@code
 * businessCase} block, shown to IG leads beside the agreement's use; never part of a decision.
 *
 * @param costs what the sharing costs the parties (set-up, running)
 * @param expectedSavings what the parties expect it to save or improve
 * @param measures what the parties will measure to judge whether it delivers
 */
public record BusinessCase(List<Item> costs, List<Item> expectedSavings, List<Item> measures) {

  /** Entries in each list, at most: a business case is a summary, not a spreadsheet. */
  public static final int MAX_ITEMS = 20;

  /** Characters in one entry's text, at most. */
  public static final int MAX_TEXT = 300;

  /** The largest amount stated, in whole units of its currency. */
  public static final BigDecimal MAX_AMOUNT = new BigDecimal("1000000000000");

  public BusinessCase {
    costs = List.copyOf(costs);
    expectedSavings = List.copyOf(expectedSavings);
    measures = List.copyOf(measures);
  }

  /** One cost, saving or measure: a short text, with an amount where the parties gave one. */
  public record Item(String text, Optional<Amount> amount) {}

  /**
   * A sum of money (ISO 4217 currency, at most two decimal places), once or per period.
   *
   * @param per how often it recurs; empty when not said
   */
  public record Amount(BigDecimal value, Currency currency, Optional<Period> per) {}

  /** How often an amount recurs. */
  public enum Period {
    ONCE,
    MONTH,
    QUARTER,
    YEAR;

    /** The word used in policy files: once, month, quarter, year. */
    public String code() {
      return name().toLowerCase(Locale.ROOT);
    }
  }
}
