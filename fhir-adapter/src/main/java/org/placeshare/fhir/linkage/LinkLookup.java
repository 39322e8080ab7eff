package org.placeshare.fhir.linkage;

import io.vertx.core.Future;
import java.util.List;
import java.util.Optional;
import org.placeshare.policy.NhsNumber;

/** Where a traced source finds which of its records are linked to an NHS number. */
public interface LinkLookup {

  /** The live links from the source's records to the person; empty when none (never null). */
  Future<List<Link>> linksTo(String sourceId, NhsNumber nhsNumber);

  /**
   * Why the source's records cannot be traced right now (the reference index could not be reached
   * at its last sync, say), in words safe to show; empty while tracing works. Records not yet
   * linked are missing from a view while it is not empty, and the view says so.
   */
  default Optional<String> tracingTrouble(String sourceId) {
    return Optional.empty();
  }
}
