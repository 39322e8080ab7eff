package org.placeshare.gateway.http.console;

/** What the console says when a request failed, in the failure handler's own words. */
public record ErrorPage(Chrome chrome, String message) implements ConsolePage {

  @Override
  public String template() {
    return "error.jte";
  }
}
