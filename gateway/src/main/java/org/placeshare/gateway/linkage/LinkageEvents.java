package org.placeshare.gateway.linkage;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.identity.Caller;

/**
 * The audit events of tracing and linking. The NHS number is the event's patient, so a subject
 * access report finds every trace and link decision about a person; the detail names the source,
 * the record's local id, grade, score and what was decided, never the demographics.
 */
public final class LinkageEvents {

  /** A record traced against the reference index. */
  public static final String TRACE = "trace";

  /** A record linked to an NHS number (automatically, or refreshed on unchanged identity). */
  public static final String LINK = "link";

  /** A record put to a steward's review, or a steward's decision of one. */
  public static final String LINK_REVIEW = "link-review";

  /** A steward undid a link. */
  public static final String LINK_UNDO = "link-undo";

  private LinkageEvents() {}

  /** An event of a sync (no caller when it runs on the schedule) or of a steward's request. */
  public static AuditEvent event(
      String requestId,
      String action,
      AuditEvent.Outcome outcome,
      Optional<NhsNumber> patient,
      Optional<Caller> caller,
      String detail,
      Instant now) {
    return new AuditEvent(
        UUID.randomUUID(),
        now,
        requestId,
        action,
        outcome,
        outcome == AuditEvent.Outcome.FAILED ? 503 : 200,
        patient,
        caller,
        Optional.empty(),
        Optional.empty(),
        List.of(),
        Map.of(),
        List.of(),
        detail,
        0);
  }
}
