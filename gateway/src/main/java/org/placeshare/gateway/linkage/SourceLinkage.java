package org.placeshare.gateway.linkage;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Optional;

/**
 * Where one traced source stands: its live links, records awaiting review (those whose link is
 * being re-checked among them), and what its last sync could not trace or use, when it ran and how
 * it went.
 *
 * @param trouble why the last sync failed, in words safe to show; empty once a sync succeeds
 */
public record SourceLinkage(
    String source,
    long linked,
    long awaitingReview,
    long rechecking,
    long undone,
    int notTraced,
    int unusable,
    Optional<Instant> lastSync,
    Optional<String> lastOutcome,
    Optional<String> trouble) {

  public JsonObject json() {
    return new JsonObject()
        .put("source", source)
        .put("linked", linked)
        .put("awaitingReview", awaitingReview)
        .put("rechecking", rechecking)
        .put("undone", undone)
        .put("notTraced", notTraced)
        .put("unusable", unusable)
        .put("lastSync", lastSync.map(Instant::toString).orElse(null))
        .put("lastOutcome", lastOutcome.orElse(null))
        .put("trouble", trouble.orElse(null));
  }
}
