package org.placeshare.gateway.linkage;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.placeshare.fhir.linkage.Demographics;

/**
 * One entry of a data steward's review queue: the agency's record (its id and the demographics it
 * holds), the index's candidates for it, why it is here, and, once decided, by whom and how.
 *
 * @param reason why the record is here: its trace was probable, possible or ambiguous, its link's
 *     demographics changed, it traced to another NHS number, or its link was undone
 */
public record Review(
    UUID id,
    String source,
    String localId,
    Demographics demographics,
    List<ReviewCandidate> candidates,
    String reason,
    Instant openedAt,
    Optional<Decided> decided) {

  /** Outcomes of a review. */
  public static final String LINK = "link";

  public static final String NO_MATCH = "no-match";

  /** Closed by a later sync: the record's demographics changed again, or it no longer traces. */
  public static final String SUPERSEDED = "superseded";

  /** How a review was closed. */
  public record Decided(Instant at, Optional<Steward> by, String outcome) {}

  public Review {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(localId, "localId");
    Objects.requireNonNull(demographics, "demographics");
    candidates = List.copyOf(candidates);
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(openedAt, "openedAt");
    Objects.requireNonNull(decided, "decided");
  }

  public boolean open() {
    return decided.isEmpty();
  }

  /**
   * The handle a steward names a candidate by: its place in the review's list, best first ("1" is
   * the best). The list never changes once the review is open, so a handle is stable for the review
   * and means nothing outside it.
   */
  public static String handle(int index) {
    return String.valueOf(index + 1);
  }

  /** The candidate a handle names, if it names one of this review's. */
  public Optional<ReviewCandidate> candidate(String handle) {
    for (int i = 0; i < candidates.size(); i++) {
      if (handle(i).equals(handle)) {
        return Optional.of(candidates.get(i));
      }
    }
    return Optional.empty();
  }

  /**
   * For the source's data steward: the agency's own record and demographics, and the candidates by
   * handle with their grades and agreement levels; never a candidate's NHS number.
   */
  public JsonObject json() {
    JsonArray list = new JsonArray();
    for (int i = 0; i < candidates.size(); i++) {
      list.add(candidates.get(i).json(handle(i)));
    }
    return new JsonObject()
        .put("id", id.toString())
        .put("source", source)
        .put("localId", localId)
        .put("reason", reason)
        .put("openedAt", openedAt.toString())
        .put("demographics", DemographicsJson.json(demographics))
        .put("candidates", list)
        .put("decidedAt", decided.map(d -> d.at().toString()).orElse(null))
        .put("decidedBy", decided.flatMap(Decided::by).map(Steward::describe).orElse(null))
        .put("outcome", decided.map(Decided::outcome).orElse(null));
  }
}
