package org.placeshare.gateway.http.console;

import java.util.List;

/** The last week's alerts, each with links to the events behind it. */
public record AlertsPage(Chrome chrome, List<Alert> alerts) implements ConsolePage {

  /** One alert and the log indexes of its events. */
  public record Alert(String kind, String description, List<Long> events) {}

  @Override
  public String template() {
    return "alerts.jte";
  }
}
