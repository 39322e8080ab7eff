package org.placeshare.policy;

import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One data-sharing agreement, as loaded from its policy file: who may share what with whom, why,
 * and on which terms. Immutable; {@link AgreementFile} is the only way to make one from outside.
 *
 * @param recipients organisations that may receive records, each with the roles allowed to ask
 * @param resourceTypes the FHIR resource types in scope; nothing else is released
 * @param sha256 hex SHA-256 of the policy file's bytes, so an audit event names the exact text
 */
public record Agreement(
    String id,
    int version,
    String title,
    AgreementStatus status,
    LocalDate effective,
    LocalDate expires,
    Purpose purpose,
    Set<OdsCode> providers,
    Map<OdsCode, Set<String>> recipients,
    Set<PurposeOfUse> purposesOfUse,
    Set<String> resourceTypes,
    ConsentRule consent,
    boolean emergencyAllowed,
    String sha256) {

  /** Step 1 of the sharing model: the problem, what sharing resolves, the expected benefit. */
  public record Purpose(String problem, String resolves, String benefit) {}

  public Agreement {
    providers = Set.copyOf(providers);
    recipients = Map.copyOf(recipients);
    purposesOfUse = Set.copyOf(purposesOfUse);
    resourceTypes = Set.copyOf(resourceTypes);
  }

  /** True when the agreement is in a sharing status and {@code day} lies within its dates. */
  public boolean inForceOn(LocalDate day) {
    return status.permitsSharing() && !day.isBefore(effective) && !day.isAfter(expires);
  }

  /**
   * id and version as audit events and Provenance name them, e.g. {@code coventry-direct-care@3}.
   */
  public String reference() {
    return id + "@" + version;
  }

  List<String> sortedResourceTypes() {
    return resourceTypes.stream().sorted().toList();
  }
}
