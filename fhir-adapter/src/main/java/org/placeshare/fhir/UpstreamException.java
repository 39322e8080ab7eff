package org.placeshare.fhir;

/** A source misbehaved; the message is safe to show the caller (it never quotes the source). */
public class UpstreamException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UpstreamException(String message) {
    super(message, null, false, false);
  }
}
