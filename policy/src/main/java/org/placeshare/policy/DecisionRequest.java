package org.placeshare.policy;

import java.time.Instant;
import java.time.LocalDate;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * One question for the policy: may this recipient, in this role, for this purpose, have this
 * person's records from this provider, now? Everything the answer depends on is here, so deciding
 * is a pure function and a what-if or a dry run asks exactly what a live request asks.
 *
 * @param consents verified consents for this person: the one presented and those registered
 * @param emergencyReason the break-glass reason the caller stated, if any
 * @param relationshipClaim the reason a user gave for a self-claimed care relationship, if any
 * @param releasedToday releases so far today to this recipient, by agreement id (pilot caps)
 * @param cohortSize the size of the cohort this person is asked for in, or 0 for one person asked
 *     for alone: only an agreement that allows cohort export, of that size, permits it
 * @param providerHolds the sensitive categories of all the provider's source holds (criminal
 *     offence data at a police force): only an agreement naming every one permits it, since even
 *     the source's Patient would say the person is known there
 * @param familyOf how the person is family to the person the caller asked about (a household view's
 *     member); empty when the caller asked about this person themselves. Only an agreement whose
 *     family clause names one of these relationships and the purpose permits a member
 * @param familyUnder for a family member: the agreements (by id) that permitted the person asked
 *     about, each with how this person is family to the people it permitted. Only these agreements
 *     may release the member, and only for these relationships: an agreement that refused the
 *     person asked about never releases their family, whatever its family clause says. Empty for a
 *     person asked about themselves; for a member, an empty map releases them under nothing
 * @param event for a notification (issue 19), the kind of change to be told; only an agreement
 *     whose {@code notifications:} clause names it for this recipient, role and purpose permits.
 *     Empty for a release of records
 */
public record DecisionRequest(
    OdsCode recipient,
    String role,
    PurposeOfUse purpose,
    NhsNumber patient,
    OdsCode provider,
    List<Consent> consents,
    Optional<String> emergencyReason,
    Optional<String> relationshipClaim,
    PatientFacts facts,
    Map<String, Integer> releasedToday,
    Instant at,
    int cohortSize,
    Set<SensitiveCategory> providerHolds,
    Set<FamilyRelationship> familyOf,
    Map<String, Set<FamilyRelationship>> familyUnder,
    Optional<EventKind> event) {

  public DecisionRequest {
    Objects.requireNonNull(recipient, "recipient");
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(purpose, "purpose");
    Objects.requireNonNull(patient, "patient");
    Objects.requireNonNull(provider, "provider");
    consents = List.copyOf(consents);
    Objects.requireNonNull(emergencyReason, "emergencyReason");
    Objects.requireNonNull(relationshipClaim, "relationshipClaim");
    Objects.requireNonNull(facts, "facts");
    releasedToday = Map.copyOf(releasedToday);
    Objects.requireNonNull(at, "at");
    if (cohortSize < 0) {
      throw new IllegalArgumentException("cohortSize: expected 0 or more, got " + cohortSize);
    }
    providerHolds = Set.copyOf(providerHolds);
    familyOf = Set.copyOf(familyOf);
    familyUnder = familyUnder(familyOf, familyUnder);
    Objects.requireNonNull(event, "event");
  }

  /**
   * Strict: only a family member has family agreements, each named by id (not {@code id@version}: a
   * reload between the two decisions must not matter), each with some of the member's
   * relationships.
   */
  private static Map<String, Set<FamilyRelationship>> familyUnder(
      Set<FamilyRelationship> familyOf, Map<String, Set<FamilyRelationship>> familyUnder) {
    if (familyOf.isEmpty() && !familyUnder.isEmpty()) {
      throw new IllegalArgumentException(
          "familyUnder: expected none for a person asked about themselves, got "
              + familyUnder.keySet());
    }
    Map<String, Set<FamilyRelationship>> copy = new TreeMap<>();
    familyUnder.forEach(
        (id, relationships) -> {
          if (id.isBlank() || id.contains("@")) {
            throw new IllegalArgumentException(
                "familyUnder: expected agreement ids such as coventry-direct-care, got '"
                    + id
                    + "'");
          }
          if (relationships.isEmpty() || !familyOf.containsAll(relationships)) {
            throw new IllegalArgumentException(
                "familyUnder: expected some of the member's relationships "
                    + familyOf
                    + " under "
                    + id
                    + ", got "
                    + relationships);
          }
          copy.put(id, Set.copyOf(relationships));
        });
    return Collections.unmodifiableMap(copy);
  }

  /** The English calendar day the request is made on: agreements' dates and pilot caps use it. */
  public LocalDate day() {
    return LocalDate.ofInstant(at, AgreementEvaluation.ENGLAND);
  }

  /** A plain request: no consent, no emergency, nothing known of the person. */
  public static DecisionRequest of(
      OdsCode recipient,
      String role,
      PurposeOfUse purpose,
      NhsNumber patient,
      OdsCode provider,
      Instant at) {
    return new DecisionRequest(
        recipient,
        role,
        purpose,
        patient,
        provider,
        List.of(),
        Optional.empty(),
        Optional.empty(),
        PatientFacts.UNKNOWN,
        Map.of(),
        at,
        0,
        Set.of(),
        Set.of(),
        Map.of(),
        Optional.empty());
  }

  /**
   * The same question asked for a notification of this kind of change: may it flow to the recipient
   * now? Decided as a release is, and only under an agreement whose notification clause names the
   * kind.
   */
  public DecisionRequest withEvent(EventKind kind) {
    return new DecisionRequest(
        recipient,
        role,
        purpose,
        patient,
        provider,
        consents,
        emergencyReason,
        relationshipClaim,
        facts,
        releasedToday,
        at,
        cohortSize,
        providerHolds,
        familyOf,
        familyUnder,
        Optional.of(kind));
  }

  public DecisionRequest withProvider(OdsCode provider) {
    return new DecisionRequest(
        recipient,
        role,
        purpose,
        patient,
        provider,
        consents,
        emergencyReason,
        relationshipClaim,
        facts,
        releasedToday,
        at,
        cohortSize,
        providerHolds,
        familyOf,
        familyUnder,
        event);
  }

  public DecisionRequest withConsents(List<Consent> consents) {
    return new DecisionRequest(
        recipient,
        role,
        purpose,
        patient,
        provider,
        consents,
        emergencyReason,
        relationshipClaim,
        facts,
        releasedToday,
        at,
        cohortSize,
        providerHolds,
        familyOf,
        familyUnder,
        event);
  }

  public DecisionRequest withEmergencyReason(Optional<String> emergencyReason) {
    return new DecisionRequest(
        recipient,
        role,
        purpose,
        patient,
        provider,
        consents,
        emergencyReason,
        relationshipClaim,
        facts,
        releasedToday,
        at,
        cohortSize,
        providerHolds,
        familyOf,
        familyUnder,
        event);
  }

  public DecisionRequest withRelationshipClaim(Optional<String> relationshipClaim) {
    return new DecisionRequest(
        recipient,
        role,
        purpose,
        patient,
        provider,
        consents,
        emergencyReason,
        relationshipClaim,
        facts,
        releasedToday,
        at,
        cohortSize,
        providerHolds,
        familyOf,
        familyUnder,
        event);
  }

  public DecisionRequest withFacts(PatientFacts facts) {
    return new DecisionRequest(
        recipient,
        role,
        purpose,
        patient,
        provider,
        consents,
        emergencyReason,
        relationshipClaim,
        facts,
        releasedToday,
        at,
        cohortSize,
        providerHolds,
        familyOf,
        familyUnder,
        event);
  }

  public DecisionRequest withReleasedToday(Map<String, Integer> releasedToday) {
    return new DecisionRequest(
        recipient,
        role,
        purpose,
        patient,
        provider,
        consents,
        emergencyReason,
        relationshipClaim,
        facts,
        releasedToday,
        at,
        cohortSize,
        providerHolds,
        familyOf,
        familyUnder,
        event);
  }

  /** The same question asked for one member of a cohort of this size (a bulk export). */
  public DecisionRequest withCohortSize(int cohortSize) {
    return new DecisionRequest(
        recipient,
        role,
        purpose,
        patient,
        provider,
        consents,
        emergencyReason,
        relationshipClaim,
        facts,
        releasedToday,
        at,
        cohortSize,
        providerHolds,
        familyOf,
        familyUnder,
        event);
  }

  /** The same question about another member of the cohort, with nothing yet known of them. */
  public DecisionRequest withPatient(NhsNumber patient) {
    return new DecisionRequest(
        recipient,
        role,
        purpose,
        patient,
        provider,
        List.of(),
        Optional.empty(),
        Optional.empty(),
        PatientFacts.UNKNOWN,
        releasedToday,
        at,
        cohortSize,
        providerHolds,
        familyOf,
        familyUnder,
        event);
  }

  /** The same question about a source all of whose records are of these sensitive categories. */
  public DecisionRequest withProviderHolds(Set<SensitiveCategory> providerHolds) {
    return new DecisionRequest(
        recipient,
        role,
        purpose,
        patient,
        provider,
        consents,
        emergencyReason,
        relationshipClaim,
        facts,
        releasedToday,
        at,
        cohortSize,
        providerHolds,
        familyOf,
        familyUnder,
        event);
  }

  /**
   * The same question about the person as another person's family member, related to them in these
   * ways, where the person asked about was permitted under these agreements (by id): only one of
   * them may release the member.
   */
  public DecisionRequest withFamilyOf(
      Set<FamilyRelationship> familyOf, Set<String> subjectAgreements) {
    Map<String, Set<FamilyRelationship>> under = new TreeMap<>();
    subjectAgreements.forEach(id -> under.put(id, familyOf));
    return withFamilyOf(familyOf, under);
  }

  /**
   * The same question about the person as family of several people asked about at once (a cohort's
   * members): related to them in {@code familyOf} ways in all, and, under each agreement (by id)
   * that permitted some of those people, in the ways they are family to those it permitted.
   */
  public DecisionRequest withFamilyOf(
      Set<FamilyRelationship> familyOf, Map<String, Set<FamilyRelationship>> familyUnder) {
    return new DecisionRequest(
        recipient,
        role,
        purpose,
        patient,
        provider,
        consents,
        emergencyReason,
        relationshipClaim,
        facts,
        releasedToday,
        at,
        cohortSize,
        providerHolds,
        familyOf,
        familyUnder,
        event);
  }
}
