package org.placeshare.gateway.release;

import java.time.Instant;
import java.time.LocalDate;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import org.placeshare.policy.FamilyRelationship;
import org.placeshare.policy.NhsNumber;

/**
 * What a request asks of a {@link PersonRelease} besides who asks and for whom. The purpose of use
 * is not here: it is the verified {@code Caller}'s, bound to its access token.
 *
 * @param emergencyReason a break-glass reason, flagged for IG review whenever it permits
 * @param relationshipClaim a care relationship the user declares, flagged for IG review
 * @param consentToken a consent token presented with the request, verified before it counts
 * @param types the resource types asked for ({@code _type}), if narrowed
 * @param since only records changed since then ({@code _since})
 * @param occasion a person's view, a cohort member or a household member: what the audit records
 *     and the policy weighs
 */
public record ReleaseOptions(
    Optional<String> emergencyReason,
    Optional<String> relationshipClaim,
    Optional<String> consentToken,
    Optional<Set<String>> types,
    Optional<Instant> since,
    Occasion occasion) {

  public ReleaseOptions {
    Objects.requireNonNull(emergencyReason, "emergencyReason");
    Objects.requireNonNull(relationshipClaim, "relationshipClaim");
    Objects.requireNonNull(consentToken, "consentToken");
    types = types.map(Set::copyOf);
    Objects.requireNonNull(since, "since");
    Objects.requireNonNull(occasion, "occasion");
  }

  /** Why the release runs: it names the audit event and weighs in the decision. */
  public sealed interface Occasion {}

  /**
   * One person's view asked over the API.
   *
   * @param requestId the request's id, which the audit event carries
   * @param action the audit action (the view, or its data-quality check)
   * @param started when the request arrived, for the event's duration
   * @param qualityOnly only the sources' Patients are fetched and compared; no record is released
   */
  public record View(String requestId, String action, Instant started, boolean qualityOnly)
      implements Occasion {
    public View {
      Objects.requireNonNull(requestId, "requestId");
      Objects.requireNonNull(action, "action");
      Objects.requireNonNull(started, "started");
    }
  }

  /**
   * One person released by a bulk job: decided as a member of a cohort of this size, and, when
   * {@code family} is present, as another cohort member's household (their family, under the
   * agreements' family clause, as in a household view) rather than as a member of the cohort.
   *
   * @param action the audit action of the job's members
   * @param family how the person is family to a cohort member, when the job follows households
   */
  public record CohortMember(
      UUID job, int cohortSize, String action, Optional<HouseholdMember> family)
      implements Occasion {
    public CohortMember {
      Objects.requireNonNull(job, "job");
      Objects.requireNonNull(action, "action");
      Objects.requireNonNull(family, "family");
      if (cohortSize < 1) {
        throw new IllegalArgumentException("cohortSize: expected at least 1, got " + cohortSize);
      }
    }

    /** A member of the cohort, asked about themselves. */
    public CohortMember(UUID job, int cohortSize, String action) {
      this(job, cohortSize, action, Optional.empty());
    }
  }

  /**
   * Another member of a household view's household: decided as that person's family member under
   * the agreements' family clause, and otherwise on their own facts.
   *
   * @param requestId the household request's id, which the member's audit event carries too
   * @param action the audit action of a member released as part of a household
   * @param started when the household request arrived
   * @param householdOf the person whose household was asked for
   * @param day the day the household is read on
   * @param relationships how the member is family to that person (never empty)
   * @param subjectAgreements the agreements ({@code id@version}) that permitted the person (or, in
   *     a cohort, the people) the member is family of, each with how the member is family to those
   *     it permitted: only these may release the member. Empty releases the member under nothing
   */
  public record HouseholdMember(
      String requestId,
      String action,
      Instant started,
      NhsNumber householdOf,
      LocalDate day,
      Set<FamilyRelationship> relationships,
      Map<String, Set<FamilyRelationship>> subjectAgreements)
      implements Occasion {
    public HouseholdMember {
      Objects.requireNonNull(requestId, "requestId");
      Objects.requireNonNull(action, "action");
      Objects.requireNonNull(started, "started");
      Objects.requireNonNull(householdOf, "householdOf");
      Objects.requireNonNull(day, "day");
      relationships = Set.copyOf(relationships);
      if (relationships.isEmpty()) {
        throw new IllegalArgumentException("a household member is family somehow");
      }
      Map<String, Set<FamilyRelationship>> copy = new TreeMap<>();
      for (Map.Entry<String, Set<FamilyRelationship>> e : subjectAgreements.entrySet()) {
        if (e.getValue().isEmpty() || !relationships.containsAll(e.getValue())) {
          throw new IllegalArgumentException(
              "subjectAgreements: expected some of " + relationships + " under " + e.getKey());
        }
        copy.put(e.getKey(), Set.copyOf(e.getValue()));
      }
      subjectAgreements = Collections.unmodifiableMap(copy);
    }

    /**
     * A household view's member: family in these ways of the one person asked about, whom these
     * agreements ({@code id@version}) permitted.
     */
    public HouseholdMember(
        String requestId,
        String action,
        Instant started,
        NhsNumber householdOf,
        LocalDate day,
        Set<FamilyRelationship> relationships,
        Set<String> subjectAgreements) {
      this(
          requestId,
          action,
          started,
          householdOf,
          day,
          relationships,
          subjectAgreements.stream()
              .collect(Collectors.toMap(a -> a, a -> relationships, (x, y) -> x)));
    }

    /**
     * The agreements by id, as the policy asks (a version reloaded between the two decisions is the
     * same agreement), each with the member's relationships under any of its versions.
     */
    public Map<String, Set<FamilyRelationship>> subjectAgreementIds() {
      Map<String, Set<FamilyRelationship>> ids = new TreeMap<>();
      subjectAgreements.forEach(
          (reference, ways) ->
              ids.computeIfAbsent(
                      reference.split("@", 2)[0], k -> EnumSet.noneOf(FamilyRelationship.class))
                  .addAll(ways));
      return ids;
    }
  }

  /**
   * A member of a household view: nothing presented (a consent token, a break-glass or relationship
   * reason speaks for the person asked about only), every type the decision allows.
   */
  public static ReleaseOptions householdMember(HouseholdMember member) {
    return new ReleaseOptions(
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        member);
  }

  /** A member of a bulk job's cohort: nothing presented, only what the job asked for. */
  public static ReleaseOptions member(
      UUID job,
      int cohortSize,
      String action,
      Optional<Set<String>> types,
      Optional<Instant> since) {
    return new ReleaseOptions(
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        types,
        since,
        new CohortMember(job, cohortSize, action));
  }

  /**
   * Another member of a cohort member's household, released by a bulk job that follows households:
   * nothing presented, only what the job asked for, decided as family ({@code family}) of a cohort
   * member and as a member of a cohort of the job's size.
   */
  public static ReleaseOptions cohortFamily(
      UUID job,
      int cohortSize,
      String action,
      Optional<Set<String>> types,
      Optional<Instant> since,
      HouseholdMember family) {
    return new ReleaseOptions(
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        types,
        since,
        new CohortMember(job, cohortSize, action, Optional.of(family)));
  }
}
