package org.placeshare.gateway.http.edge;

/** Marks a failure to write the audit: nothing is released and nothing more can be audited. */
public final class AuditUnavailable extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public static final String MESSAGE =
      "the audit log cannot be written; nothing was released, try later";

  public AuditUnavailable(Throwable cause) {
    super(MESSAGE, cause);
  }

  public static boolean is(Throwable failure) {
    return failure instanceof AuditUnavailable;
  }
}
