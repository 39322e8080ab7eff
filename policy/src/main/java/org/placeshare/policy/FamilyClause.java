package org.placeshare.policy;

import java.util.Set;

/**
 * An agreement's explicit say on other people: which family members of the person asked about may
 * be released to its recipients, which of their record types, and for which purposes. Without one,
 * an agreement never releases anyone but the person asked about. Each member is still decided on
 * their own facts (opt-outs, restrictions, consents, pilots); the clause only opens the door.
 *
 * @param relationships how the member must be family: living at the same address, or a stated
 *     parent or child
 * @param resourceTypes the members' record types released; a subset of the agreement's types
 * @param purposesOfUse the purposes a member may be released for; a subset of the agreement's
 */
public record FamilyClause(
    Set<FamilyRelationship> relationships,
    Set<String> resourceTypes,
    Set<PurposeOfUse> purposesOfUse) {

  public FamilyClause {
    relationships = Set.copyOf(relationships);
    resourceTypes = Set.copyOf(resourceTypes);
    purposesOfUse = Set.copyOf(purposesOfUse);
  }

  /** True when the clause names one of these relationships and this purpose. */
  public boolean covers(Set<FamilyRelationship> memberOf, PurposeOfUse purpose) {
    return purposesOfUse.contains(purpose) && memberOf.stream().anyMatch(relationships::contains);
  }
}
