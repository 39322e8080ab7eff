package org.placeshare.fhir.mapped;

import java.util.Objects;
import java.util.Optional;
import org.placeshare.fhir.linkage.Demographics;

/**
 * One person as an agency lists them: its own id and the demographics to trace, or why they cannot
 * be traced (counted and reported, never linked).
 */
public record RosterEntry(
    String localId, Optional<Demographics> demographics, Optional<String> unusable) {

  public RosterEntry {
    Objects.requireNonNull(localId, "localId");
    if (demographics.isPresent() == unusable.isPresent()) {
      throw new IllegalArgumentException(
          "expected demographics or why they are unusable, not both");
    }
  }
}
