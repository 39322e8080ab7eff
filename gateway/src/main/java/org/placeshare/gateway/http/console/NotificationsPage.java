package org.placeshare.gateway.http.console;

import java.util.List;

/**
 * The outbox for an IG lead: how many deliveries are in each status, the dead letters first (each
 * linking to its audit trail, where the person is named), then what is waiting, then the
 * subscriptions. No row names a person: the page is an overview of many people's changes, and a
 * dead letter's person is one audited click away.
 *
 * @param shown how many rows each list shows at most
 */
public record NotificationsPage(
    Chrome chrome,
    List<Count> counts,
    long deadCount,
    List<Delivery> dead,
    long pendingCount,
    List<Delivery> pending,
    List<Subscribed> subscriptions,
    int shown)
    implements ConsolePage {

  /** Deliveries in one status. */
  public record Count(String status, long count) {}

  /**
   * One delivery: its idempotency key, what and to whom, tries and the last error (safe words, no
   * personal data), when the next try is due (pending) or when it died, and its audit trail's link.
   */
  public record Delivery(
      String idempotencyKey,
      String kind,
      String eventId,
      String subscription,
      String client,
      int tries,
      String lastError,
      String when,
      String auditLink) {}

  /** One subscription, its endpoint shown by host. */
  public record Subscribed(
      String id,
      String client,
      String organisation,
      String kinds,
      String cohort,
      String endpointHost,
      String status,
      String created) {}

  public NotificationsPage {
    counts = List.copyOf(counts);
    dead = List.copyOf(dead);
    pending = List.copyOf(pending);
    subscriptions = List.copyOf(subscriptions);
  }

  @Override
  public String template() {
    return "notifications.jte";
  }
}
