package org.placeshare.gateway.http;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.text.NumberFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.placeshare.gateway.http.console.AgreementsPage;
import org.placeshare.policy.Agreement;
import org.placeshare.policy.BusinessCase;

/**
 * An agreement's business case (step 1 of the sharing model: costs, expected savings, measures) as
 * the console shows it beside the agreement's use, and as the agreements API gives it. The texts
 * are the parties' own, so on the console the template escapes them like any other value.
 */
final class BusinessCaseText {

  private BusinessCaseText() {}

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
      lines.add(item.text() + item.amount().map(a -> ": " + words(a)).orElse(""));
    }
    out.add(new AgreementsPage.Listing(heading, List.copyOf(lines)));
  }

  /** "GBP 48,000 once", "GBP 250,000.50 a year", "GBP 12,000". */
  static String words(BusinessCase.Amount amount) {
    NumberFormat format = NumberFormat.getNumberInstance(Locale.UK);
    format.setMinimumFractionDigits(amount.value().scale() > 0 ? 2 : 0);
    format.setMaximumFractionDigits(2);
    return amount.currency().getCurrencyCode()
        + " "
        + format.format(amount.value())
        + amount
            .per()
            .map(p -> p == BusinessCase.Period.ONCE ? " once" : " a " + p.code())
            .orElse("");
  }

  /** The business case for {@code GET /agreements/{id}}, or null when none was stated. */
  static JsonObject json(Agreement agreement) {
    return agreement
        .businessCase()
        .map(
            c ->
                new JsonObject()
                    .put("costs", items(c.costs()))
                    .put("expectedSavings", items(c.expectedSavings()))
                    .put("measures", items(c.measures())))
        .orElse(null);
  }

  private static JsonArray items(List<BusinessCase.Item> items) {
    JsonArray out = new JsonArray();
    for (BusinessCase.Item item : items) {
      JsonObject json = new JsonObject().put("text", item.text());
      item.amount()
          .ifPresent(
              a ->
                  json.put("amount", a.value())
                      .put("currency", a.currency().getCurrencyCode())
                      .put("period", a.per().map(BusinessCase.Period::code).orElse(null)));
      out.add(json);
    }
    return out;
  }
}
