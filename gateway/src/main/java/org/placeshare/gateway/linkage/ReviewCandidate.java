package org.placeshare.gateway.linkage;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.placeshare.fhir.linkage.Candidate;
import org.placeshare.fhir.linkage.MatchGrade;
import org.placeshare.policy.NhsNumber;

/**
 * A person of the index as a review holds them: the NHS number, score, grade and how each field
 * agreed (e.g. family "exact", birthDate "day and month swapped"). The NHS number and score stay in
 * the register: a steward sees a candidate by its handle in the review, its grade and levels only
 * ({@link #json}), so the review queue is no tracing service for the agency. Never the index's own
 * demographics either: the steward compares the agency's record with the agreement levels.
 */
public record ReviewCandidate(
    NhsNumber nhsNumber, double score, MatchGrade grade, Map<String, String> levels) {

  public ReviewCandidate {
    Objects.requireNonNull(nhsNumber, "nhsNumber");
    Objects.requireNonNull(grade, "grade");
    levels = Map.copyOf(levels);
  }

  public static ReviewCandidate of(Candidate c) {
    Map<String, String> levels = new TreeMap<>();
    c.score().levels().forEach((field, level) -> levels.put(field, level.name()));
    return new ReviewCandidate(
        c.entry().nhsNumber(), Grades.round(c.score().total()), c.grade(), levels);
  }

  /** For the source's data steward: the candidate's handle in its review, grade and levels. */
  public JsonObject json(String handle) {
    return new JsonObject()
        .put("candidate", handle)
        .put("grade", Grades.code(grade))
        .put("levels", levelsJson());
  }

  /** As the register stores it, NHS number and score included: never shown to a steward. */
  JsonObject stored() {
    return new JsonObject()
        .put("nhsNumber", nhsNumber.toString())
        .put("score", score)
        .put("grade", Grades.code(grade))
        .put("levels", levelsJson());
  }

  private JsonObject levelsJson() {
    JsonObject levelsJson = new JsonObject();
    new TreeMap<>(levels).forEach(levelsJson::put);
    return levelsJson;
  }

  static ReviewCandidate read(JsonObject json) {
    Map<String, String> levels = new TreeMap<>();
    json.getJsonObject("levels").forEach(e -> levels.put(e.getKey(), String.valueOf(e.getValue())));
    return new ReviewCandidate(
        NhsNumber.parse(json.getString("nhsNumber")),
        json.getDouble("score"),
        Grades.of(json.getString("grade")),
        levels);
  }
}
