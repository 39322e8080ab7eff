package org.placeshare.gateway.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** The small checks every section of the configuration shares; each adds to the problem list. */
final class ConfigChecks {

  private ConfigChecks() {}

  static void unregistered(
      List<String> problems, Set<String> codes, String key, String organisation) {
    if (organisation != null && !codes.isEmpty() && !codes.contains(organisation)) {
      problems.add(
          key + ": expected an organisation listed under organisations, got " + organisation);
    }
  }

  static String strip(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  static String required(List<String> problems, String key, String value) {
    if (value == null || value.isBlank()) {
      problems.add(key + ": expected a value, got nothing");
    }
    return value;
  }

  static Path path(Path base, String value) {
    return value == null ? null : base.resolve(value).normalize();
  }

  static void within(List<String> problems, String key, long value, long min, long max) {
    if (value < min || value > max) {
      problems.add(key + ": expected " + min + " to " + max + ", got " + value);
    }
  }
}
