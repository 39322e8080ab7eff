package org.placeshare.policy;

import java.util.Objects;
import java.util.Optional;

/**
 * One question for the policy: may this recipient, in this role, for this purpose, have this
 * person's records from this provider?
 *
 * @param emergencyReason the break-glass reason the caller stated, if any
 */
public record DecisionRequest(
    OdsCode recipient,
    String role,
    PurposeOfUse purpose,
    NhsNumber patient,
    OdsCode provider,
    Optional<String> emergencyReason) {

  public DecisionRequest {
    Objects.requireNonNull(recipient, "recipient");
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(purpose, "purpose");
    Objects.requireNonNull(patient, "patient");
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(emergencyReason, "emergencyReason");
  }
}
