package org.placeshare.gateway.notify;

import java.net.URI;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.placeshare.policy.EventKind;
import org.placeshare.policy.NotificationClause;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PurposeOfUse;

/**
 * One agency's standing request to be told of changes (a FHIR R4 {@code Subscription}, <a
 * href="https://hl7.org/fhir/R4/subscription.html">hl7.org/fhir/R4/subscription.html</a>): which
 * kinds of change, about whom (a cohort it registered, or the people it has a care relationship
 * with), delivered to which checked endpoint. Belongs to the client that made it; no other sees it.
 * Each delivery is still decided at the moment of delivery ({@code PolicySet.decideNotification}).
 *
 * @param purpose the purpose of use the subscriber's token stated, which each delivery is decided
 *     for
 * @param cohort the Group whose members it covers; empty: the people the organisation has a
 *     recorded care relationship with
 */
public record Subscription(
    UUID id,
    String clientId,
    OdsCode organisation,
    PurposeOfUse purpose,
    Set<EventKind> kinds,
    Optional<UUID> cohort,
    URI endpoint,
    Status status,
    Instant created) {

  /** The role a client is registered for, and its token claims, to subscribe. */
  public static final String ROLE = NotificationClause.SUBSCRIBER_ROLE;

  /** FHIR's {@code Subscription.status}, as far as the gateway takes it. */
  public enum Status {
    ACTIVE,
    OFF;

    public String code() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public Subscription {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(organisation, "organisation");
    Objects.requireNonNull(purpose, "purpose");
    kinds = Set.copyOf(kinds);
    if (kinds.isEmpty()) {
      throw new IllegalArgumentException("kinds: expected at least one event kind, got none");
    }
    Objects.requireNonNull(cohort, "cohort");
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(created, "created");
  }
}
