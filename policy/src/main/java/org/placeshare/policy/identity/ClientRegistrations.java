package org.placeshare.policy.identity;

import java.util.Optional;

/**
 * The one lookup of a client's registration as it stands now. Checks that must follow a change of
 * registration (a role withdrawn, a client removed) read through this at each request rather than
 * trusting what a token says or what was true when it was issued.
 */
@FunctionalInterface
public interface ClientRegistrations {

  /** The client registered under this id, if any. */
  Optional<RegisteredClient> find(String clientId);
}
