package org.placeshare.gateway.audit;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Patterns in the audit log worth an IG lead's look, each with the events behind it: records seen
 * out of hours, one user seeing many different people in a short time, repeated refusals, and
 * restricted (S-flag) records released. Thresholds are deliberately simple and stated in words.
 */
public final class AuditAlerts {

  /** One pattern found, for one user, with the events behind it. */
  public record Alert(String kind, String who, String description, List<Long> events) {}

  static final ZoneId ENGLAND = ZoneId.of("Europe/London");
  static final LocalTime WORKDAY_START = LocalTime.of(8, 0);
  static final LocalTime WORKDAY_END = LocalTime.of(19, 0);
  static final Duration WINDOW = Duration.ofHours(1);
  static final int MANY_PEOPLE = 20;
  static final int MANY_REFUSALS = 5;

  /** The action of a cohort member's release in a bulk export job. */
  static final String COHORT_EXPORT = "cohort-export";

  private AuditAlerts() {}

  public static List<Alert> find(List<AuditRecord> events) {
    List<AuditRecord> sorted = new ArrayList<>(events);
    sorted.sort(Comparator.comparing(AuditRecord::recordedAt));
    List<Alert> alerts = new ArrayList<>();
    Map<String, List<AuditRecord>> outOfHours = new LinkedHashMap<>();
    Map<String, List<AuditRecord>> views = new HashMap<>();
    Map<String, List<AuditRecord>> refusals = new HashMap<>();
    for (AuditRecord e : sorted) {
      String who = who(e);
      // A cohort export's releases are agreed as a bulk sharing and reported once per job; they
      // are not one user looking at many people, whatever the hour the job ran.
      boolean viewed =
          "permitted".equals(e.outcome())
              && e.nhsNumber() != null
              && !COHORT_EXPORT.equals(e.action());
      if (viewed && outOfHours(e)) {
        outOfHours.computeIfAbsent(who, k -> new ArrayList<>()).add(e);
      }
      if (viewed) {
        views.computeIfAbsent(who, k -> new ArrayList<>()).add(e);
      }
      if ("refused".equals(e.outcome())) {
        refusals.computeIfAbsent(who, k -> new ArrayList<>()).add(e);
      }
      if (viewed && releasedRestricted(e)) {
        alerts.add(
            new Alert(
                "restricted-record",
                who,
                who + " was released a restricted (S-flag) record",
                List.of(e.leafIndex())));
      }
    }
    outOfHours.forEach(
        (who, list) ->
            alerts.add(
                new Alert(
                    "out-of-hours",
                    who,
                    who
                        + " saw records "
                        + list.size()
                        + " times outside 08:00 to 19:00 on weekdays (England)",
                    indices(list))));
    views.forEach(
        (who, list) -> {
          List<AuditRecord> burst = burst(list, true);
          if (!burst.isEmpty()) {
            alerts.add(
                new Alert(
                    "many-people",
                    who,
                    who + " saw " + MANY_PEOPLE + " or more different people within an hour",
                    indices(burst)));
          }
        });
    refusals.forEach(
        (who, list) -> {
          List<AuditRecord> burst = burst(list, false);
          if (!burst.isEmpty()) {
            alerts.add(
                new Alert(
                    "repeated-refusals",
                    who,
                    who + " was refused " + MANY_REFUSALS + " or more times within an hour",
                    indices(burst)));
          }
        });
    return alerts;
  }

  private static String who(AuditRecord e) {
    return (e.userId() == null ? "unknown user" : e.userId())
        + " ("
        + (e.clientId() == null ? "no client" : e.clientId())
        + ", "
        + (e.organisation() == null ? "no organisation" : e.organisation())
        + ")";
  }

  static boolean outOfHours(AuditRecord e) {
    ZonedDateTime t = e.recordedAt().atZone(ENGLAND);
    DayOfWeek day = t.getDayOfWeek();
    LocalTime time = t.toLocalTime();
    return day == DayOfWeek.SATURDAY
        || day == DayOfWeek.SUNDAY
        || time.isBefore(WORKDAY_START)
        || !time.isBefore(WORKDAY_END);
  }

  private static boolean releasedRestricted(AuditRecord e) {
    JsonArray decisions = e.detail().getJsonArray("decisions", new JsonArray());
    for (Object d : decisions) {
      if (d instanceof JsonObject decision) {
        for (Object reason : decision.getJsonArray("reasons", new JsonArray())) {
          if (String.valueOf(reason).startsWith("restricted record released")) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /**
   * The first hour-long stretch with the threshold reached: distinct people for views, events for
   * refusals. Empty when none.
   */
  private static List<AuditRecord> burst(List<AuditRecord> list, boolean distinctPeople) {
    int threshold = distinctPeople ? MANY_PEOPLE : MANY_REFUSALS;
    int start = 0;
    for (int end = 0; end < list.size(); end++) {
      while (Duration.between(list.get(start).recordedAt(), list.get(end).recordedAt())
              .compareTo(WINDOW)
          > 0) {
        start++;
      }
      List<AuditRecord> window = list.subList(start, end + 1);
      int count = distinctPeople ? people(window) : window.size();
      if (count >= threshold) {
        return List.copyOf(window);
      }
    }
    return List.of();
  }

  private static int people(List<AuditRecord> window) {
    Set<String> people = new LinkedHashSet<>();
    window.forEach(e -> people.add(e.nhsNumber()));
    return people.size();
  }

  private static List<Long> indices(List<AuditRecord> list) {
    return list.stream().map(AuditRecord::leafIndex).toList();
  }
}
