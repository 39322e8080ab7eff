package org.placeshare.gateway.http;

import org.hl7.fhir.r4.model.OperationOutcome.IssueType;

/**
 * Why a request cannot be served, for the one failure handler: the FHIR issue code, a message the
 * caller may read (general terms), and a detail only the audit keeps (the full reasons). Handlers
 * pass it with its status through {@code ctx.fail(status, exception)}.
 */
public final class GatewayException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final IssueType code;
  private final String auditDetail;

  public GatewayException(IssueType code, String message, String auditDetail) {
    super(message, null, false, false);
    this.code = code;
    this.auditDetail = auditDetail;
  }

  public GatewayException(IssueType code, String message) {
    this(code, message, message);
  }

  public IssueType code() {
    return code;
  }

  public String auditDetail() {
    return auditDetail;
  }
}
