package org.placeshare.gateway.http.policy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.text.NumberFormat;
import java.util.List;
import java.util.Locale;
import org.placeshare.policy.Agreement;
import org.placeshare.policy.BusinessCase;

/**
 * An agreement's business case (step 1 of the sharing model: costs, expected savings, measures) as
 * the agreements API gives it, and its amounts in words as the console shows them too.
 */
public final class BusinessCaseText {

  private BusinessCaseText() {}

  /** "GBP 48,000 once", "GBP 250,000.50 a year", "GBP 12,000". */
  public static String words(BusinessCase.Amount amount) {
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
