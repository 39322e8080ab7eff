package org.placeshare.gateway.linkage;

import java.util.Objects;
import org.placeshare.policy.identity.Caller;

/** Who decided a review or undid a link: the user and the client system that vouched for them. */
public record Steward(String user, String client) {

  public Steward {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(client, "client");
  }

  public static Steward of(Caller caller) {
    return new Steward(caller.userId(), caller.clientId());
  }

  /** As a {@link org.placeshare.fhir.linkage.Link}'s reviewer names them. */
  public String describe() {
    return user + " via " + client;
  }
}
