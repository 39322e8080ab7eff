package org.placeshare.policy;

import java.time.Instant;
import java.util.Set;

/**
 * What a consent says, once its signature has been verified: this person agreed that these
 * recipients may see their records for these purposes, recorded by this issuer, for this time. The
 * policy checks that it fits the request; the identity layer checks that it is genuine.
 *
 * @param id the token's {@code jti}, named in the audit
 */
public record Consent(
    String id,
    OdsCode issuer,
    NhsNumber patient,
    Set<OdsCode> recipients,
    Set<PurposeOfUse> purposes,
    Instant notBefore,
    Instant expires) {

  public Consent {
    recipients = Set.copyOf(recipients);
    purposes = Set.copyOf(purposes);
  }
}
