package org.placeshare.gateway.notify;

import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.placeshare.policy.EventKind;

/**
 * A subscription's {@code criteria}, in the one form the gateway accepts: {@code
 * Patient?_event=address-changed,died&_cohort=Group/{id}} (members of a cohort the organisation
 * registered) or {@code Patient?_event=...&_cohort=care-relationship} (people it has a recorded
 * care relationship with). Strict: nothing else, each parameter once, known kinds only.
 *
 * @param cohort the Group's id; empty for care relationships
 */
public record SubscriptionCriteria(Set<EventKind> kinds, Optional<UUID> cohort) {

  /** Criteria longer than this are not criteria. */
  public static final int MAX_CRITERIA_CHARS = 512;

  static final String CARE_RELATIONSHIP = "care-relationship";
  private static final String PREFIX = "Patient?";
  private static final String GROUP = "Group/";

  public SubscriptionCriteria {
    kinds = Set.copyOf(kinds);
  }

  /**
   * Reads the criteria.
   *
   * @throws IllegalArgumentException saying what was expected and what came
   */
  public static SubscriptionCriteria parse(String criteria) {
    if (criteria == null || criteria.isBlank()) {
      throw refused("none");
    }
    if (criteria.length() > MAX_CRITERIA_CHARS) {
      throw new IllegalArgumentException(
          "Subscription.criteria: expected at most "
              + MAX_CRITERIA_CHARS
              + " characters, got "
              + criteria.length());
    }
    if (!criteria.startsWith(PREFIX)) {
      throw refused("'" + criteria + "'");
    }
    Map<String, String> params = new LinkedHashMap<>();
    for (String pair : criteria.substring(PREFIX.length()).split("&", -1)) {
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw refused("'" + criteria + "'");
      }
      String name = pair.substring(0, eq);
      if (!name.equals("_event") && !name.equals("_cohort")) {
        throw new IllegalArgumentException(
            "Subscription.criteria: expected only _event and _cohort, got " + name);
      }
      if (params.put(name, pair.substring(eq + 1)) != null) {
        throw new IllegalArgumentException(
            "Subscription.criteria: expected " + name + " once, got it again");
      }
    }
    if (!params.containsKey("_event") || !params.containsKey("_cohort")) {
      throw refused("'" + criteria + "'");
    }
    return new SubscriptionCriteria(kinds(params.get("_event")), cohort(params.get("_cohort")));
  }

  private static Set<EventKind> kinds(String list) {
    Set<EventKind> kinds = EnumSet.noneOf(EventKind.class);
    for (String code : list.split(",", -1)) {
      EventKind kind =
          EventKind.of(code)
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "Subscription.criteria: _event: expected address-changed, died,"
                              + " gp-changed, care-episode-opened, care-episode-closed or"
                              + " safeguarding-concern, got '"
                              + code
                              + "'"));
      if (!kinds.add(kind)) {
        throw new IllegalArgumentException(
            "Subscription.criteria: _event: expected each kind once, got " + code + " again");
      }
    }
    return kinds;
  }

  private static Optional<UUID> cohort(String value) {
    if (value.equals(CARE_RELATIONSHIP)) {
      return Optional.empty();
    }
    if (value.startsWith(GROUP) && value.length() == GROUP.length() + 36) {
      try {
        return Optional.of(UUID.fromString(value.substring(GROUP.length())));
      } catch (IllegalArgumentException e) {
        // reported below
      }
    }
    throw new IllegalArgumentException(
        "Subscription.criteria: _cohort: expected Group/{id} of a cohort you registered, or "
            + CARE_RELATIONSHIP
            + ", got '"
            + value
            + "'");
  }

  private static IllegalArgumentException refused(String got) {
    return new IllegalArgumentException(
        "Subscription.criteria: expected Patient?_event={kinds}&_cohort=Group/{id} or"
            + " Patient?_event={kinds}&_cohort="
            + CARE_RELATIONSHIP
            + ", got "
            + got);
  }
}
