package org.placeshare.gateway.http.audit;

import java.util.List;
import java.util.Optional;
import org.placeshare.gateway.audit.AuditRecord;
import org.placeshare.gateway.http.fhir.HouseholdView;

/**
 * One release of a person's records as a member of someone else's household (an event {@value
 * HouseholdView#MEMBER_ACTION}), as their subject access report tells it: through which request, to
 * whom and under which agreements. Not how they are family, nor on which day: the member's event
 * does not say (it would tell them of another person, or of a tie a source states).
 *
 * <p>The person whose household it was is named by the request id only, never by NHS number: the
 * member's report must not hand them another person's identifier. The IG lead follows the request
 * id to the request's own event ({@value HouseholdView#ACTION}), which holds it.
 *
 * @param request the household view's request id, shared by all its events
 * @param seenAs how the member event's detail says they were seen ("seen as a member of a household
 *     viewed in request …")
 */
public record HouseholdAccess(
    String request,
    String seenAs,
    String client,
    String organisation,
    String role,
    List<String> agreements) {

  /** The household access an event records, or empty when it is not a member's release. */
  public static Optional<HouseholdAccess> of(AuditRecord r) {
    if (!HouseholdView.MEMBER_ACTION.equals(r.action())) {
      return Optional.empty();
    }
    String detail = r.detail().getString("detail", "");
    int seen = detail.indexOf("seen as ");
    return Optional.of(
        new HouseholdAccess(
            r.requestId(),
            seen < 0 ? "a member of another person's household" : detail.substring(seen),
            r.clientId(),
            r.organisation(),
            r.userRole(),
            AuditRecordViews.agreements(r)));
  }

  /**
   * The access in words, for the person's report: "seen as a member of a household viewed in
   * request R, by client C of organisation O (role), under A".
   */
  public String words() {
    StringBuilder s =
        new StringBuilder("seen as a member of a household viewed in request ").append(request);
    s.append(", by client ").append(client).append(" of organisation ").append(organisation);
    if (role != null) {
      s.append(" (").append(role).append(')');
    }
    s.append(agreements.isEmpty() ? ", under no agreement named" : ", under ")
        .append(String.join(", ", agreements));
    return s.toString();
  }
}
