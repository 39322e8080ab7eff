package org.placeshare.gateway.http.console;

import java.util.Optional;

/**
 * What frames every console page: its title and, once signed in, who is signed in with the
 * session's CSRF token for the sign-out form.
 */
public record Chrome(String title, Optional<SignedIn> signedIn) {

  /** The IG lead of a session, as the header names them. */
  public record SignedIn(String userId, String organisation, String csrf) {}

  public static Chrome signedOut(String title) {
    return new Chrome(title, Optional.empty());
  }

  public static Chrome signedIn(String title, SignedIn who) {
    return new Chrome(title, Optional.of(who));
  }
}
