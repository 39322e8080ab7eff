package org.placeshare.gateway.http.console;

import java.util.List;
import java.util.Optional;

/**
 * "Who has seen this record": the form, and for a valid NHS number every release of the person's
 * records (a subject access report), those as a member of someone else's household said so in
 * words, naming that household by its request, never by the other person's NHS number.
 */
public record AccessesPage(
    Chrome chrome, String nhs, Optional<String> message, Optional<Report> report)
    implements ConsolePage {

  /** The releases of one person's records. */
  public record Report(String person, List<Access> accesses) {

    /** Whether any release was as a member of someone else's household (the report explains). */
    public boolean seenInAHousehold() {
      return accesses.stream().anyMatch(a -> !a.household().isEmpty());
    }
  }

  /**
   * One release: when, to whom, why, under which agreements, which data, and how the person was
   * seen when it was as a member of someone else's household (empty otherwise).
   */
  public record Access(
      String recordedAt,
      String organisation,
      String role,
      String purpose,
      String agreements,
      String data,
      String emergency,
      String household) {}

  @Override
  public String template() {
    return "accesses.jte";
  }
}
