package org.placeshare.gateway.http.console;

import java.util.List;
import java.util.Optional;

/**
 * The queue of break-glass accesses awaiting review, each with its review form unless the signed-in
 * lead may not review it (then why not).
 */
public record ReviewsPage(Chrome chrome, String csrf, List<Awaiting> awaiting)
    implements ConsolePage {

  /** The review outcomes the form offers, as {@code BreakGlassReviews} accepts them. */
  public static final List<Choice> OUTCOMES =
      List.of(
          new Choice("appropriate", "appropriate"),
          new Choice("inappropriate", "inappropriate"),
          new Choice("needs-follow-up", "needs follow-up"));

  /** One outcome of the review form. */
  public record Choice(String value, String label) {}

  /** One break-glass access awaiting review. */
  public record Awaiting(
      String eventId, String heading, String statedReason, Optional<String> conflict) {}

  @Override
  public String template() {
    return "reviews.jte";
  }
}
