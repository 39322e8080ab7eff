package org.placeshare.policy.identity;

import java.util.Optional;
import org.placeshare.policy.OdsCode;

/** Where the gateway finds the consent recorders it trusts, with their current keys. */
@FunctionalInterface
public interface ConsentIssuers {

  Optional<TrustedIssuer> find(OdsCode organisation);
}
