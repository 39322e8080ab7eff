package org.placeshare.fhir;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Resource;
import org.placeshare.policy.Obligations;

/**
 * Assembles the person-level view: one searchset {@link Bundle} with one Patient (from the first
 * source in the order given that found the person), each source's resources tagged with that source
 * in {@code meta.source}, and an OperationOutcome entry for each source that failed.
 */
public final class PersonView {

  /** What was put in the view, for the audit event: references and counts, never content. */
  public record Released(Bundle bundle, Map<String, List<String>> referencesBySource) {
    public int resourceCount() {
      return referencesBySource.values().stream().mapToInt(List::size).sum();
    }
  }

  private PersonView() {}

  /**
   * @param results in order of authority: the first Found supplies the Patient
   * @param obligations per source id, its decision's obligations: only what they allow leaves, and
   *     as they say
   */
  public static Released assemble(
      List<SourceRecords> results, Map<String, Obligations> obligations, Instant now) {
    Bundle bundle = new Bundle().setType(Bundle.BundleType.SEARCHSET);
    bundle.setId(UUID.randomUUID().toString());
    bundle.getMeta().setLastUpdated(Date.from(now));
    bundle.setTimestamp(Date.from(now));
    Map<String, List<String>> released = new java.util.LinkedHashMap<>();
    boolean patientAdded = false;
    for (SourceRecords result : results) {
      SourceDescriptor source = result.source();
      if (result instanceof SourceRecords.Found found) {
        List<String> refs = new ArrayList<>();
        Obligations terms = obligations.getOrDefault(source.id(), Obligations.NONE);
        if (!patientAdded) {
          Optional<Resource> patient = ReleaseObligations.apply(found.patient(), terms);
          if (patient.isPresent()) {
            add(bundle, source, patient.get(), refs);
            patientAdded = true;
          }
        }
        for (Resource resource : found.resources()) {
          if (!(resource instanceof Patient)) {
            ReleaseObligations.apply(resource, terms).ifPresent(r -> add(bundle, source, r, refs));
          }
        }
        released.put(source.id(), List.copyOf(refs));
      } else if (result instanceof SourceRecords.Failed failed) {
        bundle
            .addEntry()
            .setResource(outcome(source, failed.reason()))
            .getSearch()
            .setMode(Bundle.SearchEntryMode.OUTCOME);
      }
    }
    bundle.setTotal(released.values().stream().mapToInt(List::size).sum());
    return new Released(bundle, Map.copyOf(released));
  }

  private static void add(
      Bundle bundle, SourceDescriptor source, Resource resource, List<String> refs) {
    String reference = resource.fhirType() + "/" + resource.getIdElement().getIdPart();
    resource.setId(reference);
    resource.getMeta().setSource(source.base());
    bundle
        .addEntry()
        .setFullUrl(source.base() + "/" + reference)
        .setResource(resource)
        .getSearch()
        .setMode(Bundle.SearchEntryMode.MATCH);
    refs.add(reference);
  }

  private static OperationOutcome outcome(SourceDescriptor source, String reason) {
    OperationOutcome outcome = new OperationOutcome();
    outcome
        .addIssue()
        .setSeverity(OperationOutcome.IssueSeverity.WARNING)
        .setCode(OperationOutcome.IssueType.INCOMPLETE)
        .setDiagnostics(
            "source "
                + source.id()
                + " ("
                + source.organisation()
                + ") "
                + reason
                + "; its records are missing from this view");
    return outcome;
  }
}
