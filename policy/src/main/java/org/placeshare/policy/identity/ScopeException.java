package org.placeshare.policy.identity;

/**
 * A {@code scope} that cannot be granted: malformed, too long, or naming nothing the client's
 * agreements release. The token endpoint answers it as {@code invalid_scope} (RFC 6749 section
 * 5.2).
 */
public final class ScopeException extends TokenException {
  private static final long serialVersionUID = 1L;

  ScopeException(String message) {
    super(message);
  }
}
