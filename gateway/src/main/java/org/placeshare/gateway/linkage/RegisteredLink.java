package org.placeshare.gateway.linkage;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.placeshare.fhir.linkage.Demographics;
import org.placeshare.fhir.linkage.Link;

/**
 * One row of the register: the link, whether it is live, the demographics it was made on (personal
 * data) and their fingerprint, and who undid it, why and when.
 */
public record RegisteredLink(
    Link link,
    LinkStatus status,
    Demographics demographics,
    String fingerprint,
    Optional<Undoing> undone) {

  /** Who undid a link, why and when. */
  public record Undoing(String by, String reason, Instant at) {}

  public RegisteredLink {
    Objects.requireNonNull(link, "link");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(demographics, "demographics");
    Objects.requireNonNull(fingerprint, "fingerprint");
    Objects.requireNonNull(undone, "undone");
  }

  public boolean live() {
    return status == LinkStatus.LINKED;
  }

  /**
   * For an IG lead: the link with its NHS number and the demographics it was made on ({@link
   * #stewardJson} and the NHS number).
   */
  public JsonObject json() {
    return stewardJson().put("nhsNumber", link.nhsNumber().toString());
  }

  /**
   * For the source's data steward: the link's status, grade, method and when, and the demographics
   * it was made on; never the NHS number, which the register keeps (a steward decides by the
   * agency's record and the agreement levels, and is no tracing service).
   */
  public JsonObject stewardJson() {
    return new JsonObject()
        .put("source", link.source())
        .put("localId", link.localId())
        .put("grade", Grades.code(link.grade()))
        .put("score", Grades.round(link.score()))
        .put("method", link.method().name().toLowerCase(Locale.ROOT))
        .put("reviewer", link.reviewer().orElse(null))
        .put("linkedAt", link.linkedAt().toString())
        .put("status", status.code())
        .put("demographics", DemographicsJson.json(demographics))
        .put(
            "undone",
            undone
                .map(
                    u ->
                        new JsonObject()
                            .put("by", u.by())
                            .put("reason", u.reason())
                            .put("at", u.at().toString()))
                .orElse(null));
  }
}
