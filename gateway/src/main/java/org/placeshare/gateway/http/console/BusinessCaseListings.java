package org.placeshare.gateway.http.console;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.placeshare.gateway.http.policy.BusinessCaseText;
import org.placeshare.policy.Agreement;
import org.placeshare.policy.BusinessCase;

/**
 * An agreement's business case (step 1 of the sharing model: costs, expected savings, measures) as
 * the console shows it beside the agreement's use. The texts are the parties' own, so the template
 * escapes them like any other value.
 */
final class BusinessCaseListings {

  private BusinessCaseListings() {}

  /**
   * The three lists as the console's agreements page shows them (only those with items), or empty
   * if no business case was stated.
   */
  static Optional<List<AgreementsPage.Listing>> listings(Agreement agreement) {
    return agreement
        .businessCase()
        .map(
            c -> {
              List<AgreementsPage.Listing> out = new ArrayList<>();
              listing(out, "Costs", c.costs());
              listing(out, "Expected savings", c.expectedSavings());
              listing(out, "Measures it is judged by", c.measures());
              return List.copyOf(out);
            });
  }

  private static void listing(
      List<AgreementsPage.Listing> out, String heading, List<BusinessCase.Item> items) {
    if (items.isEmpty()) {
      return;
    }
    List<String> lines = new ArrayList<>();
    for (BusinessCase.Item item : items) {
      lines.add(item.text() + item.amount().map(a -> ": " + BusinessCaseText.words(a)).orElse(""));
    }
    out.add(new AgreementsPage.Listing(heading, List.copyOf(lines)));
  }
}
