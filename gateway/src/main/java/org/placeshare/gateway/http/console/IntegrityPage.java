package org.placeshare.gateway.http.console;

import java.util.Optional;

/** The log's latest signed checkpoint, the console's last verification, and "verify now". */
public record IntegrityPage(
    Chrome chrome, Optional<String> checkpoint, Optional<String> lastVerified, String csrf)
    implements ConsolePage {

  /** Whether the last verification found the log whole (shown as good news, else as an alert). */
  public boolean verified() {
    return lastVerified.map(v -> v.startsWith("the audit log verifies")).orElse(false);
  }

  @Override
  public String template() {
    return "integrity.jte";
  }
}
