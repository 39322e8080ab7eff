package org.placeshare.gateway.release;

import io.vertx.core.Future;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.placeshare.fhir.DataQuality;
import org.placeshare.fhir.SourceRecords;
import org.placeshare.fhir.UpstreamException;
import org.placeshare.fhir.linkage.Demographics;
import org.placeshare.fhir.linkage.IndexEntry;
import org.placeshare.fhir.linkage.ReferenceIndex;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.household.AddressDisagreement;
import org.placeshare.gateway.release.ReleaseOutcome.Trail;
import org.placeshare.policy.DecisionRequest;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.identity.Caller;

/** {@code $data-quality} through the release: the sources' Patients compared, nothing released. */
final class QualityCheck {

  private QualityCheck() {}

  /** What the reference index said of the person, when one is configured. */
  sealed interface IndexComparison {
    /** No reference index is configured: the sources are compared with each other only. */
    record None() implements IndexComparison {}

    /** The index's record of the person, or empty when it holds nobody with the NHS number. */
    record Read(Optional<Demographics> person) implements IndexComparison {}

    /** The index could not be read; the reason is safe to show. */
    record Unavailable(String reason) implements IndexComparison {}

    static Future<IndexComparison> of(Optional<ReferenceIndex> index, NhsNumber nhsNumber) {
      if (index.isEmpty()) {
        return Future.succeededFuture(new None());
      }
      return index
          .get()
          .read(nhsNumber)
          .<IndexComparison>map(entry -> new Read(entry.map(IndexEntry::demographics)))
          .otherwise(
              e ->
                  new Unavailable(
                      e instanceof UpstreamException
                          ? e.getMessage()
                          : "the reference index could not be read"));
    }
  }

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
      IndexComparison index,
      Instant now,
      Trail trail) {
    List<SourceRecords.Found> found =
        results.stream()
            .filter(r -> r instanceof SourceRecords.Found)
            .map(SourceRecords.Found.class::cast)
            .toList();
    List<DataQuality.Finding> findings =
        new ArrayList<>(DataQuality.check(request.patient(), found));
    if (index instanceof IndexComparison.Read read) {
      findings.addAll(DataQuality.againstIndex(read.person(), found));
    }
    // Issue 18: sources placing the person at different addresses today; never merged.
    findings.addAll(AddressDisagreement.among(request.patient(), found, request.day()));
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
    if (index instanceof IndexComparison.Unavailable unavailable) {
      report
          .addIssue()
          .setSeverity(OperationOutcome.IssueSeverity.WARNING)
          .setCode(OperationOutcome.IssueType.INCOMPLETE)
          .setDiagnostics(
              unavailable.reason() + "; the sources were not compared with the reference index");
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
