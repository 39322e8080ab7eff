package org.placeshare.gateway.audit;

/**
 * Why a break-glass review cannot be recorded or read: the HTTP status it answers with, a reason
 * the reviewer may read, and a detail only the audit keeps. The audit rules know nothing of the
 * HTTP edge; the edge turns this into its own failure.
 */
public final class ReviewRefused extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** No such break-glass event. */
  public static final int NOT_FOUND = 404;

  /** Separation of duties: this reviewer may not review this access. */
  public static final int FORBIDDEN = 403;

  /** Reviewed already, or another review of it is being recorded. */
  public static final int CONFLICT = 409;

  private final int status;
  private final String auditDetail;

  public ReviewRefused(int status, String reason, String auditDetail) {
    super(reason, null, false, false);
    this.status = status;
    this.auditDetail = auditDetail;
  }

  /**
   * The HTTP status to answer with: {@link #NOT_FOUND}, {@link #FORBIDDEN} or {@link #CONFLICT}.
   */
  public int status() {
    return status;
  }

  public String auditDetail() {
    return auditDetail;
  }
}
