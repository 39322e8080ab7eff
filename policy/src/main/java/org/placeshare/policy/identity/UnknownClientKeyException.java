package org.placeshare.policy.identity;

/**
 * A client registered with a {@code jwksUrl} signed with a key the gateway does not hold: it may
 * have rotated its keys, so its set is fetched again (rate-limited) and the assertion tried once
 * more.
 */
public final class UnknownClientKeyException extends TokenException {
  private static final long serialVersionUID = 1L;

  private final String clientId;

  UnknownClientKeyException(String message, String clientId) {
    super(message);
    this.clientId = clientId;
  }

  public String clientId() {
    return clientId;
  }
}
