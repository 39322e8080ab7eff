package org.placeshare.gateway.linkage;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.placeshare.fhir.linkage.Candidate;
import org.placeshare.fhir.linkage.MatchGrade;
import org.placeshare.policy.NhsNumber;

/**
 * A person of the index as a steward sees them in a review: the NHS number, score, grade and how
 * each field agreed (e.g. family "exact", birthDate "day and month swapped"). Never the index's own
 * demographics: the steward compares the agency's record with the agreement levels, not with what
 * the index holds about the person.
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

  public JsonObject json() {
    JsonObject levelsJson = new JsonObject();
    new TreeMap<>(levels).forEach(levelsJson::put);
    return new JsonObject()
        .put("nhsNumber", nhsNumber.toString())
        .put("score", score)
        .put("grade", Grades.code(grade))
        .put("levels", levelsJson);
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
