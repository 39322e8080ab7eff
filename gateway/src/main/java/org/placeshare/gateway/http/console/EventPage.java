package org.placeshare.gateway.http.console;

import java.util.List;
import java.util.Optional;

/**
 * One audit event in full: its facts, the decision per source, what was released, for a household
 * view's event the household (present only for a household view or a member of one), and for a
 * break-glass access the reviews it has had (present only for an emergency event).
 */
public record EventPage(
    Chrome chrome,
    long leafIndex,
    List<Fact> facts,
    Optional<String> requestHref,
    List<SourceDecision> decisions,
    List<String> released,
    Optional<Household> household,
    Optional<List<Review>> reviews)
    implements ConsolePage {

  /** A labelled value of the event ("none" when it has none). */
  public record Fact(String label, String value) {}

  /** One source's decision and its reasons. */
  public record SourceDecision(String heading, List<String> reasons) {}

  /**
   * A household view's event: for the request, how many other members were shown of how many and a
   * link to each member's event of the same request; for a member, how they were seen and a link to
   * the request's event.
   */
  public record Household(String summary, List<Link> links) {}

  /** A link to another event, in words. */
  public record Link(String text, String href) {}

  /** One review of a break-glass access. */
  public record Review(
      String reviewedAt, String reviewer, String outcome, String comment, long index) {}

  @Override
  public String template() {
    return "event.jte";
  }
}
