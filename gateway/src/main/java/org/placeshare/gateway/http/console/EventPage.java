package org.placeshare.gateway.http.console;

import java.util.List;
import java.util.Optional;

/**
 * One audit event in full: its facts, the decision per source, what was released, and for a
 * break-glass access the reviews it has had (present only for an emergency event).
 */
public record EventPage(
    Chrome chrome,
    long leafIndex,
    List<Fact> facts,
    Optional<String> requestHref,
    List<SourceDecision> decisions,
    List<String> released,
    Optional<List<Review>> reviews)
    implements ConsolePage {

  /** A labelled value of the event ("none" when it has none). */
  public record Fact(String label, String value) {}

  /** One source's decision and its reasons. */
  public record SourceDecision(String heading, List<String> reasons) {}

  /** One review of a break-glass access. */
  public record Review(
      String reviewedAt, String reviewer, String outcome, String comment, long index) {}

  @Override
  public String template() {
    return "event.jte";
  }
}
