package org.placeshare.fhir.linkage;

import io.vertx.core.Future;
import java.util.List;
import org.placeshare.policy.NhsNumber;

/** Where a traced source finds which of its records are linked to an NHS number. */
public interface LinkLookup {

  /** The live links from the source's records to the person; empty when none (never null). */
  Future<List<Link>> linksTo(String sourceId, NhsNumber nhsNumber);
}
