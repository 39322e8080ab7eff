package org.placeshare.fhir.mapped;

import java.util.List;
import java.util.Optional;

/** One page of an agency's roster and where the next one is, if any. */
public record RosterPage(List<RosterEntry> entries, Optional<String> next) {

  public RosterPage {
    entries = List.copyOf(entries);
  }
}
