package org.placeshare.policy.identity;

import org.placeshare.policy.Consent;

/**
 * A consent token whose signature, issuer, type, times and claims have been checked. Only {@link
 * ConsentTokens} makes one, so the consent register holds nothing unverified.
 */
public final class VerifiedConsent {
  private final Consent consent;
  private final String token;
  private final String keyId;

  VerifiedConsent(Consent consent, String token, String keyId) {
    this.consent = consent;
    this.token = token;
    this.keyId = keyId;
  }

  /** The issuer's key the token was verified with: a cached token stops working when it goes. */
  String keyId() {
    return keyId;
  }

  public Consent consent() {
    return consent;
  }

  /** The signed token, kept as evidence with a registered consent. */
  public String token() {
    return token;
  }
}
