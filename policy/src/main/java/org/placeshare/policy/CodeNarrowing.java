package org.placeshare.policy;

import java.util.Set;

/**
 * Narrows one resource type to the resources carrying one of these codes, e.g. Condition to the
 * long-term conditions a case-coordination purpose needs.
 */
public record CodeNarrowing(String resourceType, String system, Set<String> codes) {
  public CodeNarrowing {
    codes = Set.copyOf(codes);
  }
}
