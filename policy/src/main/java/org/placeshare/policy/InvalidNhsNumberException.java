package org.placeshare.policy;

/** An input that is not a valid NHS number; the message says why, never echoing the input. */
public final class InvalidNhsNumberException extends PolicyException {
  private static final long serialVersionUID = 1L;

  public InvalidNhsNumberException(String message) {
    super(message);
  }
}
