package org.placeshare.policy.identity;

import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PurposeOfUse;

/**
 * Who asks, as proven by a verified access token: the organisation and client system, the end user
 * and role the client vouches for, and the purpose of use. Only {@link AccessTokens} makes one, so
 * code holding a {@code Caller} need not check again.
 */
public final class Caller {
  private final OdsCode organisation;
  private final String clientId;
  private final String userId;
  private final String role;
  private final PurposeOfUse purpose;

  Caller(OdsCode organisation, String clientId, String userId, String role, PurposeOfUse purpose) {
    this.organisation = organisation;
    this.clientId = clientId;
    this.userId = userId;
    this.role = role;
    this.purpose = purpose;
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
