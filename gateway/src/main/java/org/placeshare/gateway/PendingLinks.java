package org.placeshare.gateway;

import io.vertx.core.Future;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.placeshare.fhir.linkage.Link;
import org.placeshare.fhir.linkage.LinkLookup;
import org.placeshare.policy.NhsNumber;

/**
 * The links of the traced sources, as they are given before the database is open: the sources are
 * built from files at start-up, the register that holds the links needs the database. Until the
 * register is joined, no record of a traced source is linked to anyone (nothing unlinked is ever
 * released), and tracing is said to be not yet working.
 */
final class PendingLinks implements LinkLookup {

  private final AtomicReference<LinkLookup> register = new AtomicReference<>();

  /** Joins the register once the database is open; from then every lookup goes to it. */
  void join(LinkLookup links) {
    register.set(Objects.requireNonNull(links, "links"));
  }

  @Override
  public Future<List<Link>> linksTo(String sourceId, NhsNumber nhsNumber) {
    LinkLookup links = register.get();
    return links == null ? Future.succeededFuture(List.of()) : links.linksTo(sourceId, nhsNumber);
  }

  @Override
  public Optional<String> tracingTrouble(String sourceId) {
    LinkLookup links = register.get();
    return links == null
        ? Optional.of("no linkage register is running")
        : links.tracingTrouble(sourceId);
  }
}
