package org.placeshare.policy;

import java.util.Set;

/**
 * One entry of an agreement's {@code notifications:} clause: which kinds of change about a person
 * ("tell us once", issue 19) may flow to one of the agreement's recipients, in which of its roles,
 * for which of its purposes. Without an entry that names all four, no notification flows, however
 * much else the agreement shares; with one, each delivery is still decided on the person's facts
 * (opt-outs, restrictions, consents) as a release is.
 *
 * @param organisation a recipient the agreement names
 * @param roles some of that recipient's roles in the agreement
 * @param kinds the event kinds that may flow
 * @param purposesOfUse some of the agreement's purposes of use
 */
public record NotificationClause(
    OdsCode organisation,
    Set<String> roles,
    Set<EventKind> kinds,
    Set<PurposeOfUse> purposesOfUse) {

  /**
   * The role a receiving system acts in: it is told of changes and never reads records on request,
   * so an agreement naming a recipient in this role (to notify it) does not let that system pull
   * the person's records as well.
   */
  public static final String SUBSCRIBER_ROLE = "subscriber";

  public NotificationClause {
    roles = Set.copyOf(roles);
    kinds = Set.copyOf(kinds);
    purposesOfUse = Set.copyOf(purposesOfUse);
  }

  /** True when this entry lets {@code kind} flow to this recipient, role and purpose. */
  public boolean covers(EventKind kind, OdsCode recipient, String role, PurposeOfUse purpose) {
    return organisation.equals(recipient)
        && roles.contains(role)
        && kinds.contains(kind)
        && purposesOfUse.contains(purpose);
  }
}
