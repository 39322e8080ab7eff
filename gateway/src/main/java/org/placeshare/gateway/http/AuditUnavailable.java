package org.placeshare.gateway.http;

/** Marks a failure to write the audit: nothing is released and nothing more can be audited. */
final class AuditUnavailable extends RuntimeException {
  private static final long serialVersionUID = 1L;

  static final String MESSAGE = "the audit log cannot be written; nothing was released, try later";

  AuditUnavailable(Throwable cause) {
    super(MESSAGE, cause);
  }

  static boolean is(Throwable failure) {
    return failure instanceof AuditUnavailable;
  }
}
