package org.placeshare.gateway.cohort;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.placeshare.fhir.Fhir;

/** The progress a job's checkpoints carry: counts, problems by source, the files' state. */
final class JobProgress {

  private JobProgress() {}

  static JsonObject files(JsonObject progress) {
    return object(progress, "files");
  }

  static JsonObject object(JsonObject parent, String key) {
    JsonObject o = parent.getJsonObject(key);
    if (o == null) {
      o = new JsonObject();
      parent.put(key, o);
    }
    return o;
  }

  static void increment(JsonObject counts, String key) {
    counts.put(key, counts.getInteger(key, 0) + 1);
  }

  /**
   * One OperationOutcome per source that could not be read for some members: the export's errors,
   * in source order.
   */
  static List<String> sourceProblems(JsonObject progress) {
    List<String> errors = new ArrayList<>();
    new TreeMap<>(object(progress, "sourceProblems").getMap())
        .forEach(
            (source, n) -> {
              OperationOutcome outcome = new OperationOutcome();
              outcome
                  .addIssue()
                  .setSeverity(OperationOutcome.IssueSeverity.WARNING)
                  .setCode(OperationOutcome.IssueType.INCOMPLETE)
                  .setDiagnostics(
                      "source "
                          + source
                          + " could not be read for "
                          + n
                          + " members; their records from it are missing");
              errors.add(Fhir.encode(outcome));
            });
    return errors;
  }

  /**
   * The parameters a lenient kick-off ignored, one OperationOutcome each (Bulk Data v2: with {@code
   * Prefer: handling=lenient} the server ignores what it does not support, and may say so in the
   * error file).
   */
  static List<String> ignored(List<String> notes) {
    List<String> lines = new ArrayList<>();
    for (String note : notes) {
      OperationOutcome outcome = new OperationOutcome();
      outcome
          .addIssue()
          .setSeverity(OperationOutcome.IssueSeverity.WARNING)
          .setCode(OperationOutcome.IssueType.NOTSUPPORTED)
          .setDiagnostics(note);
      lines.add(Fhir.encode(outcome));
    }
    return lines;
  }
}
