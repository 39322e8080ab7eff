package org.placeshare.gateway.config;

import static org.placeshare.gateway.config.ConfigChecks.within;

import java.time.Duration;
import java.util.List;
import org.placeshare.gateway.config.GatewayConfig.Linkage;
import org.placeshare.gateway.config.RawConfig.RawLinkage;

/** The linkage register's settings, defaulted and bounded. */
final class LinkageSection {

  /** A day: a source synced less often than that leaves new people out of views for too long. */
  static final int MAX_SYNC_MINUTES = 24 * 60;

  private LinkageSection() {}

  static Linkage linkage(List<String> problems, RawLinkage raw) {
    if (raw == null || raw.syncMinutes() == null) {
      return Linkage.defaults();
    }
    within(problems, "linkage.syncMinutes", raw.syncMinutes(), 1, MAX_SYNC_MINUTES);
    return new Linkage(Duration.ofMinutes(Math.max(1, raw.syncMinutes())));
  }
}
