package org.placeshare.gateway.http.console;

import java.util.List;
import java.util.Optional;

/**
 * The audit search: the filter form as it was filled in, the actions offered as choices for its
 * action filter (household views among them), and the events found (none when the filter was
 * refused, with the refusal as the message).
 */
public record AuditSearchPage(
    Chrome chrome,
    Optional<String> message,
    List<Field> fields,
    List<Choice> actions,
    List<Choice> decisions,
    List<Choice> emergencies,
    Optional<Results> results)
    implements ConsolePage {

  /**
   * A labelled text filter and the value it was given; {@code choices} names the list of values it
   * offers (a datalist: any other value may still be typed), empty when it offers none.
   */
  public record Field(String name, String label, String value, String choices) {}

  /** One option of a select, and whether it is the chosen one. */
  public record Choice(String value, String label, boolean selected) {}

  /** One page of events, newest first, with links to its CSV export and the page before it. */
  public record Results(List<Row> rows, String csvHref, Optional<String> olderHref) {}

  /** One event as a row of the results table. */
  public record Row(
      String recordedAt,
      String action,
      String outcome,
      String nhsNumber,
      String organisation,
      String user,
      String purpose,
      String detailsHref) {}

  @Override
  public String template() {
    return "audit.jte";
  }
}
