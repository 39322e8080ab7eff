package org.placeshare.gateway.release;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.placeshare.fhir.DataQuality;
import org.placeshare.fhir.SourceRecords;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.release.ReleaseOutcome.Trail;
import org.placeshare.policy.DecisionRequest;
import org.placeshare.policy.identity.Caller;

/** {@code $data-quality} through the release: the sources' Patients compared, nothing released. */
final class QualityCheck {

  private QualityCheck() {}

  /**
   * {@code $data-quality}: the sources' Patients checked and compared, answered as an
   * OperationOutcome naming sources and fields only. No record is released.
   */
  static ReleaseOutcome.Checked checked(
      Caller caller,
      DecisionRequest request,
      ReleaseOptions options,
      ReleaseOptions.View view,
      List<SourceRecords> results,
      Instant now,
      Trail trail) {
    List<SourceRecords.Found> found =
        results.stream()
            .filter(r -> r instanceof SourceRecords.Found)
            .map(SourceRecords.Found.class::cast)
            .toList();
    List<DataQuality.Finding> findings = DataQuality.check(request.patient(), found);
    OperationOutcome report = DataQuality.outcome(findings);
    for (SourceRecords r : results) {
      if (r instanceof SourceRecords.Failed failed) {
        report
            .addIssue()
            .setSeverity(OperationOutcome.IssueSeverity.WARNING)
            .setCode(OperationOutcome.IssueType.INCOMPLETE)
            .setDiagnostics("source " + failed.source().id() + " " + failed.reason());
      }
    }
    if (findings.isEmpty()) {
      report
          .addIssue()
          .setSeverity(OperationOutcome.IssueSeverity.INFORMATION)
          .setCode(OperationOutcome.IssueType.INFORMATIONAL)
          .setDiagnostics(
              "data quality: the " + found.size() + " sources holding the person agree");
    }
    List<String> problems = PersonRelease.problems(results);
    AuditEvent event =
        ReleaseEvent.of(
            caller,
            request,
            options,
            now,
            Map.of(),
            problems,
            "data-quality check of "
                + found.size()
                + " sources: "
                + findings.size()
                + " findings; no record released",
            trail);
    return new ReleaseOutcome.Checked(report, findings, event, problems, trail);
  }
}
