package org.placeshare.policy.identity;

import com.nimbusds.jose.jwk.ECKey;
import java.util.Objects;
import java.util.Set;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PurposeOfUse;

/**
 * A client system registered with the gateway: its id, the organisation it acts for, the public key
 * its assertions are signed with, and the purposes of use it may claim.
 */
public record RegisteredClient(
    String id, OdsCode organisation, ECKey publicKey, Set<PurposeOfUse> purposes) {

  public RegisteredClient {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(organisation, "organisation");
    Objects.requireNonNull(publicKey, "publicKey");
    if (publicKey.isPrivate()) {
      throw new IllegalArgumentException("a client is registered with its public key only");
    }
    purposes = Set.copyOf(purposes);
  }
}
