package org.placeshare.policy;

import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a consent says, once its signature has been verified: this person agreed that these
 * recipients may see these kinds of record for these purposes, recorded by this issuer, for this
 * time. The policy checks that it fits the request; the identity layer checks that it is genuine.
 *
 * @param id the token's {@code jti}, named in the audit and used to withdraw it
 * @param scopes FHIR resource types the person agreed to share, or {@value #ALL_DATA} for all that
 *     an agreement shares
 * @param recordedBy who recorded it at the issuer (a user id, never a name)
 */
public record Consent(
    String id,
    OdsCode issuer,
    NhsNumber patient,
    Set<OdsCode> recipients,
    Set<PurposeOfUse> purposes,
    Set<String> scopes,
    ConsentMethod method,
    String recordedBy,
    Instant notBefore,
    Instant expires) {

  /** The scope for "all my records that an agreement shares". */
  public static final String ALL_DATA = "*";

  public Consent {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(issuer, "issuer");
    Objects.requireNonNull(patient, "patient");
    recipients = Set.copyOf(recipients);
    purposes = Set.copyOf(purposes);
    scopes = Set.copyOf(scopes);
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(recordedBy, "recordedBy");
    Objects.requireNonNull(notBefore, "notBefore");
    Objects.requireNonNull(expires, "expires");
  }

  /** The resource types released under this consent from those an agreement shares. */
  public Set<String> narrow(Set<String> shared) {
    if (scopes.contains(ALL_DATA)) {
      return shared;
    }
    return shared.stream().filter(scopes::contains).collect(Collectors.toSet());
  }
}
