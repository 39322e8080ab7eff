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
 * @param clientAddress for an HTTP request, the client's network address: the TCP peer as the
 *     gateway saw it (no forwarded header is trusted)
 * @param files for a bulk export's completion, each file it wrote with the digest of its bytes
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
    Optional<SentDigest> sent,
    Optional<String> clientAddress,
    List<ExportedFile> files) {

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
    Objects.requireNonNull(clientAddress, "clientAddress");
    decisions = List.copyOf(decisions);
    files = List.copyOf(files);
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

  /** An event with or without a body's digest, not of a request from the network. */
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
      long latencyMillis,
      Optional<SentDigest> sent) {
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
        sent,
        Optional.empty(),
        List.of());
  }

  /** This event, binding the digest of the body that carried its release. */
  public AuditEvent withSent(SentDigest digest) {
    return with(Optional.of(digest), clientAddress, files);
  }

  /** This event, naming the network address of the client whose request it records. */
  public AuditEvent withClientAddress(Optional<String> address) {
    return with(sent, address, files);
  }

  /** This event, binding each file a bulk export wrote and the digest of its bytes. */
  public AuditEvent withFiles(List<ExportedFile> written) {
    return with(sent, clientAddress, written);
  }

  private AuditEvent with(
      Optional<SentDigest> sent, Optional<String> clientAddress, List<ExportedFile> files) {
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
        sent,
        clientAddress,
        files);
  }

  /** True for break-glass access that released records: IG reviews each one. */
  public boolean emergency() {
    return outcome == Outcome.PERMITTED
        && decisions.stream().anyMatch(d -> d.reviewRequired() && d.effect().equals("permit"));
  }
}
