package org.placeshare.policy;

import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * One data-sharing agreement, as loaded from its policy file: who may share what with whom, why, on
 * which lawful basis and on which terms. Immutable; {@link AgreementFile} is the only way to make
 * one from outside. Every key is explained in docs/agreements.md.
 *
 * @param review the date by which the parties review it; overdue reviews are reported
 * @param recipients organisations that may receive records, each with the roles allowed to ask
 * @param localPurposes purpose-of-use codes this agreement defines, with their meaning
 * @param sensitive the sensitive categories this agreement names, and so releases
 * @param obligations what is done to records released under it
 * @param optOutApplies whether the national data opt-out is honoured for purposes other than direct
 *     care (it never applies to direct care)
 * @param releasesRestricted whether restricted-record (S-flag) patients may be released, for direct
 *     care only
 * @param auditRetentionYears how long audit events of this agreement are kept
 * @param cohortExportMaxMembers the largest cohort whose records may be exported in bulk under it;
 *     absent, it permits people one at a time only
 * @param businessCase its costs, expected savings and measures, if the parties stated them
 * @param tracingPermitted whether its recipients may trace people to NHS numbers from demographics
 *     ({@code tracing: permitted}); absent, they may not
 * @param family which family members of the person asked about it releases, if any; absent, it
 *     releases no one but the person asked about
 * @param notifications which event kinds may flow to which recipients, roles and purposes ({@code
 *     notifications:}); empty, no notification flows under it
 * @param sha256 hex SHA-256 of the policy file's bytes, so an audit event names the exact text
 */
public record Agreement(
    String id,
    int version,
    String title,
    AgreementStatus status,
    LocalDate effective,
    LocalDate expires,
    LocalDate review,
    List<Signatory> signatories,
    Purpose purpose,
    Set<OdsCode> providers,
    Map<OdsCode, Set<String>> recipients,
    Set<PurposeOfUse> purposesOfUse,
    Map<String, String> localPurposes,
    LawfulBasis lawfulBasis,
    Set<SensitiveCategory> sensitive,
    Obligations obligations,
    ConsentTerms consent,
    boolean optOutApplies,
    boolean releasesRestricted,
    boolean emergencyAllowed,
    RelationshipRule relationship,
    Optional<Pilot> pilot,
    int auditRetentionYears,
    OptionalInt cohortExportMaxMembers,
    Optional<BusinessCase> businessCase,
    boolean tracingPermitted,
    Optional<FamilyClause> family,
    List<NotificationClause> notifications,
    String sha256) {

  /** Step 1 of the sharing model: the problem, what sharing resolves, the expected benefit. */
  public record Purpose(String problem, String resolves, String benefit) {}

  public Agreement {
    signatories = List.copyOf(signatories);
    providers = Set.copyOf(providers);
    recipients = Map.copyOf(recipients);
    purposesOfUse = Set.copyOf(purposesOfUse);
    localPurposes = Map.copyOf(localPurposes);
    sensitive = Set.copyOf(sensitive);
    notifications = List.copyOf(notifications);
  }

  /**
   * Whether the notification clause lets {@code kind} flow to this recipient, in this role, for
   * this purpose. Only the clause: whether a delivery may happen now is {@link
   * PolicySet#decideNotification}'s question.
   */
  public boolean notifies(EventKind kind, OdsCode recipient, String role, PurposeOfUse purpose) {
    return notifications.stream().anyMatch(n -> n.covers(kind, recipient, role, purpose));
  }

  /** The FHIR resource types in scope; nothing else is released. */
  public Set<String> resourceTypes() {
    return obligations.resourceTypes();
  }

  /** True when the agreement is in a sharing status and {@code day} lies within its dates. */
  public boolean inForceOn(LocalDate day) {
    return status.permitsSharing() && datesCover(day);
  }

  boolean datesCover(LocalDate day) {
    return !day.isBefore(effective) && !day.isAfter(expires);
  }

  /** The pilot's daily volume per recipient, if it has one. */
  public OptionalInt dailyVolume() {
    return pilot.map(Pilot::dailyVolume).orElse(OptionalInt.empty());
  }

  public boolean monitorOnly() {
    return pilot.map(Pilot::monitorOnly).orElse(false);
  }

  /**
   * Whether this agreement lets the recipient, in this role and for this purpose, trace people to
   * NHS numbers on {@code day}: in force (live or pilot, not a monitor-only pilot), {@code tracing:
   * permitted}, naming the recipient with the role, and the purpose among its purposes of use.
   * Never role {@value NotificationClause#SUBSCRIBER_ROLE}: a subscriber is told of changes, and
   * tracing would let it find anyone's NHS number to build the cohort it is told about.
   */
  public boolean permitsTracing(
      OdsCode recipient, String role, PurposeOfUse purpose, LocalDate day) {
    Set<String> roles = recipients.get(recipient);
    return tracingPermitted
        && !NotificationClause.SUBSCRIBER_ROLE.equals(role)
        && inForceOn(day)
        && !monitorOnly()
        && roles != null
        && roles.contains(role)
        && purposesOfUse.contains(purpose);
  }

  /**
   * id and version as audit events and Provenance name them, e.g. {@code coventry-direct-care@3}.
   */
  public String reference() {
    return id + "@" + version;
  }

  /** The reference pinned to this exact text: {@code id@version#sha256}. */
  public String pinnedReference() {
    return reference() + "#" + sha256();
  }

  List<String> sortedResourceTypes() {
    return resourceTypes().stream().sorted().toList();
  }
}
