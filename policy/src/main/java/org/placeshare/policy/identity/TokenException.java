package org.placeshare.policy.identity;

import org.placeshare.policy.PolicyException;

/** A token or assertion that failed verification. The message is safe to log: never the token. */
public class TokenException extends PolicyException {
  private static final long serialVersionUID = 1L;

  public TokenException(String message) {
    super(message);
  }

  public TokenException(String message, Throwable cause) {
    super(message, cause);
  }
}
