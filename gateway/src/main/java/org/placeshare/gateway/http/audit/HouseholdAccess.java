package org.placeshare.gateway.http.audit;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.placeshare.gateway.audit.AuditRecord;
import org.placeshare.gateway.http.fhir.HouseholdView;

/**
 * One release of a person's records as a member of someone else's household (an event {@value
 * HouseholdView#MEMBER_ACTION}), as their subject access report tells it: through which request, as
 * what kind of family, on which day, to whom and under which agreements.
 *
 * <p>The person whose household it was is named by the request id only, never by NHS number: the
 * member's report must not hand them another person's identifier. The IG lead follows the request
 * id to the request's own event ({@value HouseholdView#ACTION}), which holds it.
 *
 * @param request the household view's request id, shared by all its events
 * @param seenAs how the member event's detail says they were seen ("seen as household family of the
 *     person asked about in request …, household on …")
 * @param relationships the family relationships they were seen as ("household", "parent-child", or
 *     both joined by "and"), when the detail says so
 * @param day the day the household was read on (YYYY-MM-DD), when the detail says so
 */
public record HouseholdAccess(
    String request,
    String seenAs,
    Optional<String> relationships,
    Optional<String> day,
    String client,
    String organisation,
    String role,
    List<String> agreements) {

  /** The note {@code PersonRelease.householdNote} writes into a member's event. */
  private static final Pattern NOTE =
      Pattern.compile(
          "seen as (.+?) family of the person asked about in request \\S+, household on"
              + " ([0-9]{4}-[0-9]{2}-[0-9]{2})");

  /** The household access an event records, or empty when it is not a member's release. */
  public static Optional<HouseholdAccess> of(AuditRecord r) {
    if (!HouseholdView.MEMBER_ACTION.equals(r.action())) {
      return Optional.empty();
    }
    String detail = r.detail().getString("detail", "");
    int seen = detail.indexOf("seen as ");
    Matcher note = NOTE.matcher(detail);
    boolean told = note.find();
    return Optional.of(
        new HouseholdAccess(
            r.requestId(),
            seen < 0 ? "a member of another person's household" : detail.substring(seen),
            told ? Optional.of(note.group(1)) : Optional.empty(),
            told ? Optional.of(note.group(2)) : Optional.empty(),
            r.clientId(),
            r.organisation(),
            r.userRole(),
            AuditRecordViews.agreements(r)));
  }

  /**
   * The access in words, for the person's report: "seen as a member of a household viewed in
   * request R (as household family, household on D), by client C of organisation O (role), under
   * A".
   */
  public String words() {
    StringBuilder s =
        new StringBuilder("seen as a member of a household viewed in request ").append(request);
    if (relationships.isPresent() && day.isPresent()) {
      s.append(" (as ")
          .append(relationships.get())
          .append(" family, household on ")
          .append(day.get())
          .append(')');
    }
    s.append(", by client ").append(client).append(" of organisation ").append(organisation);
    if (role != null) {
      s.append(" (").append(role).append(')');
    }
    s.append(agreements.isEmpty() ? ", under no agreement named" : ", under ")
        .append(String.join(", ", agreements));
    return s.toString();
  }
}
