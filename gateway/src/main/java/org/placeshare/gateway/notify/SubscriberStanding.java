package org.placeshare.gateway.notify;

import java.util.Optional;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.identity.ClientRegistry;
import org.placeshare.policy.identity.RegisteredClient;

/**
 * Whether a subscription's client may still be told, now, under the client registry in force (the
 * clients file is reloaded while the gateway runs): still registered, active, registered for role
 * {@value Subscription#ROLE}, acting for the subscription's organisation, and the endpoint's host
 * still one of its {@code notificationHosts}. A subscription was checked when it was made; trust
 * taken back since must stop its deliveries as it stops the client's tokens.
 */
public final class SubscriberStanding {

  /**
   * Why a delivery is refused before it is decided.
   *
   * @param reason for the audit: which check failed, naming the client (never the person)
   * @param removed true when the client is no longer in the registry at all: the subscription is
   *     then turned {@code off}, since no one is left to receive it or to end it
   */
  public record Lapsed(String reason, boolean removed) {}

  private SubscriberStanding() {}

  /** The reason the subscription's client may not be told now, or empty when it may. */
  public static Optional<Lapsed> check(
      ClientRegistry registry, String clientId, OdsCode organisation, String endpoint) {
    Optional<RegisteredClient> found = registry.find(clientId);
    if (found.isEmpty()) {
      return lapsed("client " + clientId + " is no longer registered", true);
    }
    RegisteredClient client = found.get();
    if (!client.active()) {
      return lapsed("client " + clientId + " is suspended", false);
    }
    if (!client.roles().contains(Subscription.ROLE)) {
      return lapsed(
          "client " + clientId + " is no longer registered for role " + Subscription.ROLE, false);
    }
    if (!client.organisation().equals(organisation)) {
      return lapsed(
          "client "
              + clientId
              + " now acts for "
              + client.organisation()
              + ", not the subscription's "
              + organisation,
          false);
    }
    try {
      NotificationEndpoint.check(endpoint, client.notificationHosts());
    } catch (NotificationEndpoint.Refused e) {
      // The endpoint passed when the subscription was made, so only its host can fail now.
      return lapsed(
          "client " + clientId + ": the endpoint's host is no longer registered for it", false);
    }
    return Optional.empty();
  }

  private static Optional<Lapsed> lapsed(String reason, boolean removed) {
    return Optional.of(new Lapsed(reason, removed));
  }
}
