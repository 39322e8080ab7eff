package org.placeshare.policy.identity;

import java.time.Instant;
import java.util.Optional;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PurposeOfUse;

/**
 * Who asks, as proven by a verified access token: the organisation and client system, the end user
 * and role the client vouches for, and the purpose of use. Only {@link AccessTokens} makes one
 * (and, for a job resumed from what it kept, the {@link JobCallers} capability it hands out), so
 * code holding a {@code Caller} need not check again.
 */
public final class Caller {
  private final OdsCode organisation;
  private final String clientId;
  private final String userId;
  private final String role;
  private final PurposeOfUse purpose;
  private final Instant expires;
  private final Optional<String> certificateThumbprint;
  private final Optional<String> tokenId;
  private final GrantedScopes scopes;
  private final boolean system;

  Caller(
      OdsCode organisation,
      String clientId,
      String userId,
      String role,
      PurposeOfUse purpose,
      Instant expires,
      Optional<String> certificateThumbprint,
      Optional<String> tokenId,
      GrantedScopes scopes,
      boolean system) {
    this.scopes = scopes;
    this.system = system;
    this.organisation = organisation;
    this.clientId = clientId;
    this.userId = userId;
    this.role = role;
    this.purpose = purpose;
    this.expires = expires;
    this.certificateThumbprint = certificateThumbprint;
    this.tokenId = tokenId;
  }

  /** When the access token this caller presented expires. */
  public Instant expires() {
    return expires;
  }

  /**
   * The SHA-256 thumbprint (base64url) of the client certificate the token is bound to (RFC 8705),
   * if it is bound: the token is then good only on a connection with that certificate.
   */
  public Optional<String> certificateThumbprint() {
    return certificateThumbprint;
  }

  /**
   * The {@code jti} of the access token this caller presented, by which an IG lead may revoke it;
   * empty for a background job's caller.
   */
  public Optional<String> tokenId() {
    return tokenId;
  }

  /** The resource types the token's scopes let be released to this caller. */
  public GrantedScopes scopes() {
    return scopes;
  }

  /**
   * True for a system client (SMART Backend Services): it acts for no user, and {@link #userId} is
   * the client's own id, so the audit names the client as the actor.
   */
  public boolean system() {
    return system;
  }

  public OdsCode organisation() {
    return organisation;
  }

  public String clientId() {
    return clientId;
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
}
