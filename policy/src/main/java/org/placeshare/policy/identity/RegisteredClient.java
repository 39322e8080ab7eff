package org.placeshare.policy.identity;

import com.nimbusds.jose.jwk.ECKey;
import java.util.Objects;
import java.util.Set;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PurposeOfUse;

/**
 * A client system registered with the gateway: its id, the organisation it acts for, the public key
 * its assertions are signed with, the purposes of use it may claim and the roles it may vouch for
 * (a client asking for a token for any other role, {@code ig-lead} included, is refused).
 */
public record RegisteredClient(
    String id,
    OdsCode organisation,
    ECKey publicKey,
    Set<PurposeOfUse> purposes,
    Set<String> roles) {

  public RegisteredClient {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(organisation, "organisation");
    Objects.requireNonNull(publicKey, "publicKey");
    if (publicKey.isPrivate()) {
      throw new IllegalArgumentException("a client is registered with its public key only");
    }
    purposes = Set.copyOf(purposes);
    roles = Set.copyOf(roles);
    for (String role : roles) {
      if (!isRoleName(role)) {
        throw new IllegalArgumentException(
            "role: expected a lower-case role name such as clinician, got " + role);
      }
    }
  }

  /** Whether a string has the form of a role, as a token's {@code user_role} must. */
  public static boolean isRoleName(String role) {
    return role != null && Jwts.ROLE_FORM.matcher(role).matches();
  }
}
