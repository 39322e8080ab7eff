package org.placeshare.policy;

import java.util.Optional;
import java.util.Set;

/**
 * What the gateway knows of the person before any record is fetched: the national data opt-out, the
 * restricted-record (S-flag) status, where they live (for pilot cohorts by district), and the
 * organisations caring for them.
 */
public record PatientFacts(
    boolean optedOut,
    boolean restricted,
    Optional<String> postcodeDistrict,
    Set<CareRelationship> relationships) {

  /** Nothing known: not opted out, not restricted, no district, no relationship. */
  public static final PatientFacts UNKNOWN =
      new PatientFacts(false, false, Optional.empty(), Set.of());

  public PatientFacts {
    relationships = Set.copyOf(relationships);
  }

  boolean caredForBy(OdsCode organisation, Set<RelationshipKind> accepted) {
    return relationships.stream()
        .anyMatch(r -> r.organisation().equals(organisation) && accepted.contains(r.kind()));
  }
}
