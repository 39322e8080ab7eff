package org.placeshare.policy.identity;

import org.placeshare.policy.OdsCode;

/**
 * A token from a trusted issuer names a key the gateway does not hold. The issuer may have rotated
 * its keys: a key set fetched from a URL is refreshed (rate-limited) and the token tried once more.
 */
public final class UnknownKeyException extends TokenException {
  private static final long serialVersionUID = 1L;

  private final transient OdsCode issuer;

  UnknownKeyException(String message, OdsCode issuer) {
    super(message);
    this.issuer = issuer;
  }

  public OdsCode issuer() {
    return issuer;
  }
}
