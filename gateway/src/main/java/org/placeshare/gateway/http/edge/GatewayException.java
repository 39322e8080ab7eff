package org.placeshare.gateway.http.edge;

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
  private final int status;

  public GatewayException(IssueType code, String message, String auditDetail) {
    this(0, code, message, auditDetail);
  }

  /**
   * One that knows its status, for failures raised inside a chain of futures rather than passed
   * with {@code ctx.fail(status, exception)}.
   */
  public GatewayException(int status, IssueType code, String message, String auditDetail) {
    super(message, null, false, false);
    this.code = code;
    this.auditDetail = auditDetail;
    this.status = status;
  }

  /** The HTTP status this failure answers with, or 0 when the handler gives it. */
  public int status() {
    return status;
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
