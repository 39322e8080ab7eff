package org.placeshare.gateway.audit;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.placeshare.policy.Agreement;
import org.placeshare.policy.Decision;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.identity.Caller;

/**
 * One audited request: who asked for whom, why, what was decided per source, what was released
 * (references and counts, never clinical content), the outcome and when.
 *
 * @param detail why a request failed or was refused, in full, for the IG lead
 * @param sent for a release, the digest of the body as it was sent (its leaf binds what left)
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
    Optional<String> relationshipClaim,
    List<SourceDecision> decisions,
    Map<String, List<String>> released,
    List<String> sourceProblems,
    String detail,
    long latencyMillis,
    Optional<SentDigest> sent) {

  public enum Outcome {
    PERMITTED,
    REFUSED,
    FAILED,
    /** A what-if evaluation: decisions made, nothing fetched or released. */
    EVALUATED
  }

  /**
   * The policy's decision for one source, as the audit keeps it: the agreement that decided (id,
   * version and content hash), every agreement considered, the refusals and reasons.
   *
   * @param agreement the permitting agreement, or the monitor-only pilot that would have
   * @param considered each agreement that could apply, as {@code id@version#sha256}
   * @param codeListVersion the sensitive code list applied to what was released
   * @param consent the consent the permit rests on, as {@code jti} by issuer
   */
  public record SourceDecision(
      String source,
      String provider,
      String effect,
      Optional<String> agreement,
      Optional<String> agreementSha256,
      List<String> considered,
      List<String> refusals,
      boolean monitored,
      boolean reviewRequired,
      Optional<String> codeListVersion,
      Optional<String> consent,
      List<String> reasons) {

    public SourceDecision {
      considered = List.copyOf(considered);
      refusals = List.copyOf(refusals);
      reasons = List.copyOf(reasons);
    }

    /** The audit's record of a decision about one source. */
    public static SourceDecision of(String source, Decision d) {
      return new SourceDecision(
          source,
          d.provider().value(),
          d.effect().name().toLowerCase(Locale.ROOT),
          d.agreement().map(Agreement::reference),
          d.agreement().map(Agreement::sha256),
          d.considered().stream().map(Agreement::pinnedReference).toList(),
          d.refusals().stream().map(r -> r.name().toLowerCase(Locale.ROOT)).sorted().toList(),
          d.monitored(),
          d.reviewRequired(),
          d.permitted() ? Optional.of(d.obligations().codeListVersion()) : Optional.empty(),
          d.consent().map(c -> c.id() + " by " + c.issuer()),
          d.reasons());
    }
  }

  public AuditEvent {
    Objects.requireNonNull(eventId, "eventId");
    Objects.requireNonNull(recordedAt, "recordedAt");
    Objects.requireNonNull(sent, "sent");
    decisions = List.copyOf(decisions);
    released = Map.copyOf(released);
    sourceProblems = List.copyOf(sourceProblems);
  }

  /** An event that sent no body of records (nothing released, or released elsewhere). */
  public AuditEvent(
      UUID eventId,
      Instant recordedAt,
      String requestId,
      String action,
      Outcome outcome,
      int httpStatus,
      Optional<NhsNumber> patient,
      Optional<Caller> caller,
      Optional<String> emergencyReason,
      Optional<String> relationshipClaim,
      List<SourceDecision> decisions,
      Map<String, List<String>> released,
      List<String> sourceProblems,
      String detail,
      long latencyMillis) {
    this(
        eventId,
        recordedAt,
        requestId,
        action,
        outcome,
        httpStatus,
        patient,
        caller,
        emergencyReason,
        relationshipClaim,
        decisions,
        released,
        sourceProblems,
        detail,
        latencyMillis,
        Optional.empty());
  }

  /** This event, binding the digest of the body that carried its release. */
  public AuditEvent withSent(SentDigest digest) {
    return new AuditEvent(
        eventId,
        recordedAt,
        requestId,
        action,
        outcome,
        httpStatus,
        patient,
        caller,
        emergencyReason,
        relationshipClaim,
        decisions,
        released,
        sourceProblems,
        detail,
        latencyMillis,
        Optional.of(digest));
  }

  /** True for break-glass access that released records: IG reviews each one. */
  public boolean emergency() {
    return outcome == Outcome.PERMITTED
        && decisions.stream().anyMatch(d -> d.reviewRequired() && d.effect().equals("permit"));
  }
}
