package org.placeshare.gateway.http.oauth;

import java.util.Optional;
import org.placeshare.policy.identity.Caller;
import org.placeshare.policy.identity.ClientRegistrations;
import org.placeshare.policy.identity.RegisteredClient;

/**
 * A role that grants a capability: a caller holds it only when its token claims it AND its client
 * is registered, now, for that organisation and role. The claim alone is what the client says; the
 * registration is what the IG team agreed. The registration is read at every check, so a role taken
 * off a client stops working without waiting for its tokens or sessions to expire.
 */
public final class RegisteredRole {

  private final String name;
  private final ClientRegistrations registrations;

  public RegisteredRole(String name, ClientRegistrations registrations) {
    this.name = name;
    this.registrations = registrations;
  }

  boolean heldBy(Caller caller) {
    return whyNot(caller).isEmpty();
  }

  /** Why the caller does not hold the role, for the audit; empty when it does. */
  public Optional<String> whyNot(Caller caller) {
    if (!name.equals(caller.role())) {
      return Optional.of("role " + caller.role() + " is not " + name);
    }
    Optional<RegisteredClient> client = registrations.find(caller.clientId());
    if (client.isEmpty()
        || !client.get().organisation().equals(caller.organisation())
        || !client.get().roles().contains(name)) {
      return Optional.of(
          "client "
              + caller.clientId()
              + " ("
              + caller.organisation()
              + ") is not registered for role "
              + name);
    }
    return Optional.empty();
  }
}
