package org.placeshare.gateway.linkage;

/**
 * A steward's decision or undo the register refuses, with the HTTP status to answer: 404 for a
 * review or link that is not there or not the steward's (the two are not told apart), 409 for one
 * decided or undone already, 400 for a decision naming no candidate of the review, 422 for one
 * naming a candidate that may not be linked (a possible match).
 */
public final class LinkageRefused extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public static final int INVALID = 400;
  public static final int NOT_FOUND = 404;
  public static final int CONFLICT = 409;
  public static final int UNPROCESSABLE = 422;

  private final int status;
  private final String auditDetail;

  public LinkageRefused(int status, String message, String auditDetail) {
    super(message, null, false, false);
    this.status = status;
    this.auditDetail = auditDetail;
  }

  public int status() {
    return status;
  }

  public String auditDetail() {
    return auditDetail;
  }
}
