package org.placeshare.policy.identity;

import java.time.Instant;
import org.placeshare.policy.PurposeOfUse;

/**
 * A client assertion (RFC 7523) whose signature, audience, lifetime and claims have been checked.
 * Only {@link ClientAssertionVerifier} makes one.
 */
public final class VerifiedClientAssertion {
  private final RegisteredClient client;
  private final String userId;
  private final String role;
  private final PurposeOfUse purpose;
  private final String jti;
  private final Instant expires;

  VerifiedClientAssertion(
      RegisteredClient client,
      String userId,
      String role,
      PurposeOfUse purpose,
      String jti,
      Instant expires) {
    this.client = client;
    this.userId = userId;
    this.role = role;
    this.purpose = purpose;
    this.jti = jti;
    this.expires = expires;
  }

  public RegisteredClient client() {
    return client;
  }

  public String userId() {
    return userId;
  }

  public String role() {
    return role;
  }

  public PurposeOfUse purpose() {
    return purpose;
  }

  /** The assertion's id, for the caller of the verifier to refuse replays. */
  public String jti() {
    return jti;
  }

  public Instant expires() {
    return expires;
  }
}
