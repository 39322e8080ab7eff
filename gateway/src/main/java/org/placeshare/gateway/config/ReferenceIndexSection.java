package org.placeshare.gateway.config;

import static org.placeshare.gateway.config.ConfigChecks.path;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.placeshare.gateway.config.GatewayConfig.ReferenceIndexConfig;
import org.placeshare.gateway.config.RawConfig.RawReferenceIndex;

/**
 * {@code referenceIndex}: the reference demographic index people are traced against (optional;
 * without it nothing is traced). Strict as the sources are: an absolute http(s) base URL, a
 * deadline within bounds, a client certificate only with its key.
 */
final class ReferenceIndexSection {

  /** The longest a trace may wait on the index: a person at the other end is waiting. */
  static final long MAX_DEADLINE_MILLIS = 60_000;

  private ReferenceIndexSection() {}

  static Optional<ReferenceIndexConfig> referenceIndex(
      List<String> problems, Path base, RawReferenceIndex raw) {
    if (raw == null) {
      return Optional.empty();
    }
    URI url = null;
    if (raw.baseUrl() == null) {
      problems.add("referenceIndex.baseUrl: expected the index's FHIR base URL, got nothing");
    } else {
      try {
        url = new URI(raw.baseUrl());
        if (!("http".equals(url.getScheme()) || "https".equals(url.getScheme()))
            || url.getHost() == null
            || url.getUserInfo() != null
            || url.getQuery() != null) {
          problems.add(
              "referenceIndex.baseUrl: expected an http or https URL with a host and no query or"
                  + " credentials, got "
                  + raw.baseUrl());
          url = null;
        }
      } catch (URISyntaxException e) {
        problems.add("referenceIndex.baseUrl: expected a URL, got " + raw.baseUrl());
      }
    }
    long millis =
        raw.deadlineMillis() == null
            ? ReferenceIndexConfig.DEFAULT_DEADLINE.toMillis()
            : raw.deadlineMillis();
    if (millis < 1 || millis > MAX_DEADLINE_MILLIS) {
      problems.add(
          "referenceIndex.deadlineMillis: expected 1 to "
              + MAX_DEADLINE_MILLIS
              + ", got "
              + millis);
    }
    if ((raw.certificate() == null) != (raw.privateKey() == null)) {
      problems.add("referenceIndex: expected certificate and privateKey together");
    }
    if (url == null) {
      return Optional.empty();
    }
    String trimmed = url.toString().replaceAll("/+$", "");
    return Optional.of(
        new ReferenceIndexConfig(
            URI.create(trimmed),
            Duration.ofMillis(millis),
            Optional.ofNullable(path(base, raw.bearerTokenFile())),
            Optional.ofNullable(path(base, raw.trustCa())),
            Optional.ofNullable(path(base, raw.certificate())),
            Optional.ofNullable(path(base, raw.privateKey()))));
  }
}
