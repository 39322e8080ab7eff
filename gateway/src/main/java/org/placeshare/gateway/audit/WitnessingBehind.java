package org.placeshare.gateway.audit;

/**
 * A release refused because witnessing is behind and the gateway is configured to fail closed: the
 * newest events have not been cosigned by enough witnesses for longer than allowed, so nothing
 * leaves until they are (as X-Road stops when it cannot timestamp). Answered 503, audited as a
 * refusal.
 */
public final class WitnessingBehind extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What the caller is told. */
  public static final String MESSAGE =
      "witnessing of the audit log is behind; no records are released until the partner witnesses"
          + " have cosigned the log's newest checkpoint";

  private final String auditDetail;

  WitnessingBehind(String auditDetail) {
    super(MESSAGE);
    this.auditDetail = auditDetail;
  }

  /** The lag and quorum, for the audit. */
  public String auditDetail() {
    return auditDetail;
  }
}
