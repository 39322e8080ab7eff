package org.placeshare.policy;

import java.util.Set;

/**
 * Legitimate relationship for direct care: the requesting organisation must be caring for the
 * person, shown by the relationship register, or (when allowed) declared by the user with a reason
 * and flagged for review, as the Summary Care Record does.
 */
public record RelationshipRule(
    boolean required, Set<RelationshipKind> accepted, boolean selfClaimAllowed) {

  public static final RelationshipRule NOT_REQUIRED = new RelationshipRule(false, Set.of(), false);

  public RelationshipRule {
    accepted = Set.copyOf(accepted);
  }
}
