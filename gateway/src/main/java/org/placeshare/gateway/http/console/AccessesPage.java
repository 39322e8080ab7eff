package org.placeshare.gateway.http.console;

import java.util.List;
import java.util.Optional;

/**
 * "Who has seen this record": the form, and for a valid NHS number every release of the person's
 * records (a subject access report).
 */
public record AccessesPage(
    Chrome chrome, String nhs, Optional<String> message, Optional<Report> report)
    implements ConsolePage {

  /** The releases of one person's records. */
  public record Report(String person, List<Access> accesses) {}

  /** One release: when, to whom, why, under which agreements, which data. */
  public record Access(
      String recordedAt,
      String organisation,
      String role,
      String purpose,
      String agreements,
      String data,
      String emergency) {}

  @Override
  public String template() {
    return "accesses.jte";
  }
}
