package org.placeshare.policy;

/**
 * The one exception type that leaves the policy module: a broken agreement file, an invalid input,
 * a token that fails verification. The message says what was expected and what came.
 */
public class PolicyException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public PolicyException(String message) {
    super(message);
  }

  public PolicyException(String message, Throwable cause) {
    super(message, cause);
  }
}
