package org.placeshare.gateway.audit;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.identity.Caller;

/**
 * One audited request: who asked for whom, why, what was decided per source, what was released
 * (references and counts, never clinical content), the outcome and when.
 *
 * @param detail why a request failed or was refused, in full, for the IG lead
 */
public record AuditEvent(
    UUID eventId,
    Instant recordedAt,
    String requestId,
    String action,
    Outcome outcome,
    int httpStatus,
    Optional<NhsNumber> patient,
    Optional<Caller> caller,
    Optional<String> emergencyReason,
    List<SourceDecision> decisions,
    Map<String, List<String>> released,
    List<String> sourceProblems,
    String detail,
    long latencyMillis) {

  public enum Outcome {
    PERMITTED,
    REFUSED,
    FAILED
  }

  /** The policy's decision for one source, as the audit keeps it. */
  public record SourceDecision(
      String source,
      String provider,
      String effect,
      Optional<String> agreement,
      Optional<String> agreementSha256,
      List<String> reasons) {}

  public AuditEvent {
    Objects.requireNonNull(eventId, "eventId");
    Objects.requireNonNull(recordedAt, "recordedAt");
    decisions = List.copyOf(decisions);
    released = Map.copyOf(released);
    sourceProblems = List.copyOf(sourceProblems);
  }

  public boolean emergency() {
    return emergencyReason.isPresent() && outcome == Outcome.PERMITTED;
  }
}
