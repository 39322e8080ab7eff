package org.placeshare.gateway.http.console;

import java.util.Optional;

/** The sign-in form, with why the last attempt was refused if it was. */
public record SignInPage(Chrome chrome, Optional<String> message) implements ConsolePage {

  @Override
  public String template() {
    return "signin.jte";
  }
}
