package org.placeshare.fhir;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.placeshare.policy.Decision;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.Obligations;

/**
 * Assembles the person-level view: one searchset {@link Bundle} with one merged Patient (the most
 * authoritative source's, in the order given), each source's resources tagged with that source in
 * {@code meta.source} and pointing at the merged Patient, a {@code Provenance} per source naming
 * the organisation, the agreement and the time, an OperationOutcome entry for each source that
 * failed or was not shared, and one for the sources' disagreements about the person ({@link
 * DataQuality}).
 */
public final class PersonView {

  /** What was put in the view, for the audit event: references and counts, never content. */
  public record Released(
      Bundle bundle,
      Map<String, List<String>> referencesBySource,
      List<DataQuality.Finding> findings) {
    public int resourceCount() {
      return referencesBySource.values().stream().mapToInt(List::size).sum();
    }
  }

  /**
   * What a source's records are released under.
   *
   * @param agreement the permitting agreement as {@code id@version#sha256}, named in Provenance
   */
  public record Grant(Obligations obligations, String agreement) {

    /** What a permit allows of the types asked for ({@code _type}; null or empty asks for all). */
    public static Grant of(Decision permit, Collection<String> askedFor) {
      return new Grant(
          permit.obligations().askedFor(askedFor),
          permit.agreement().orElseThrow().pinnedReference());
    }
  }

  static final String PROVENANCE_AGENT_SYSTEM =
      "http://terminology.hl7.org/CodeSystem/provenance-participant-type";

  private PersonView() {}

  /**
   * @param results in order of authority: the first Found supplies the Patient
   * @param grants per source id, what its decision allows: only that leaves, and as it says
   * @param withheld sources the policy did not permit for this request, said in general terms
   * @param pseudonyms the gateway's pseudonym key, for agreements that ask for pseudonyms
   */
  public static Released assemble(
      NhsNumber requested,
      List<SourceRecords> results,
      Map<String, Grant> grants,
      List<SourceDescriptor> withheld,
      Optional<Pseudonyms> pseudonyms,
      Instant now) {
    Bundle bundle = new Bundle().setType(Bundle.BundleType.SEARCHSET);
    bundle.setId(UUID.randomUUID().toString());
    bundle.getMeta().setLastUpdated(Date.from(now));
    bundle.setTimestamp(Date.from(now));
    // Checked on the records as the sources sent them: the obligations below change them.
    List<DataQuality.Finding> findings =
        DataQuality.check(
            requested,
            results.stream()
                .filter(
                    r -> r instanceof SourceRecords.Found && grants.containsKey(r.source().id()))
                .map(SourceRecords.Found.class::cast)
                .toList());
    String patientUrl = "urn:uuid:" + UUID.randomUUID();
    // Ids are pseudonymised under the gateway's key, or without one under a key for this release.
    Pseudonyms idPseudonyms = pseudonyms.orElseGet(Pseudonyms::forOneRelease);
    Map<String, List<String>> released = new LinkedHashMap<>();
    List<Provenance> provenances = new ArrayList<>();
    boolean patientAdded = false;
    for (SourceRecords result : results) {
      SourceDescriptor source = result.source();
      if (result instanceof SourceRecords.Found found) {
        Grant grant = grants.get(source.id());
        if (grant == null) {
          continue; // never fetched without a grant; nothing leaves without one either
        }
        List<String> refs = new ArrayList<>();
        List<Reference> targets = new ArrayList<>();
        String sourcePatient = "Patient/" + found.patient().getIdElement().getIdPart();
        if (!patientAdded) {
          Optional<Resource> patient =
              ReleaseObligations.apply(found.patient(), grant.obligations(), pseudonyms);
          if (patient.isPresent()) {
            Resource merged = patient.get();
            pseudonymiseIds(merged, source, grant, idPseudonyms);
            merged.setId(patientUrl.substring("urn:uuid:".length()));
            merged.getMeta().setSource(source.base());
            bundle
                .addEntry()
                .setFullUrl(patientUrl)
                .setResource(merged)
                .getSearch()
                .setMode(Bundle.SearchEntryMode.MATCH);
            refs.add(sourcePatient);
            targets.add(new Reference(patientUrl));
            patientAdded = true;
          }
        }
        for (Resource resource : found.resources()) {
          if (resource instanceof Patient) {
            continue;
          }
          ReleaseObligations.apply(resource, grant.obligations(), pseudonyms)
              .ifPresent(
                  r -> {
                    // The audit names the source's own record; the recipient may see a pseudonym.
                    refs.add(r.fhirType() + "/" + r.getIdElement().getIdPart());
                    pointAtMergedPatient(r, sourcePatient, patientUrl);
                    pseudonymiseIds(r, source, grant, idPseudonyms);
                    targets.add(new Reference(add(bundle, source, r)));
                  });
        }
        released.put(source.id(), List.copyOf(refs));
        found.warnings().forEach(w -> addOutcome(bundle, source, w, ""));
        if (!targets.isEmpty()) {
          provenances.add(provenance(source, grant.agreement(), targets, now));
        }
      } else if (result instanceof SourceRecords.Failed failed) {
        addOutcome(bundle, source, failed.reason(), MISSING);
      }
    }
    for (SourceDescriptor source : withheld) {
      addOutcome(bundle, source, "is not shared with you for this request", MISSING);
    }
    if (!findings.isEmpty()) {
      bundle
          .addEntry()
          .setResource(DataQuality.outcome(findings))
          .getSearch()
          .setMode(Bundle.SearchEntryMode.OUTCOME);
    }
    for (Provenance provenance : provenances) {
      bundle
          .addEntry()
          .setFullUrl("urn:uuid:" + provenance.getIdElement().getIdPart())
          .setResource(provenance)
          .getSearch()
          .setMode(Bundle.SearchEntryMode.INCLUDE);
    }
    bundle.setTotal(released.values().stream().mapToInt(List::size).sum());
    return new Released(bundle, Map.copyOf(released), findings);
  }

  private static void pseudonymiseIds(
      Resource r, SourceDescriptor source, Grant grant, Pseudonyms pseudonyms) {
    grant
        .obligations()
        .pseudonymKey()
        .ifPresent(
            agreement ->
                ReleaseObligations.pseudonymiseIds(r, source.base(), agreement, pseudonyms));
  }

  /** Every reference to the source's own Patient now names the one Patient in the view. */
  private static void pointAtMergedPatient(Resource r, String sourcePatient, String patientUrl) {
    for (Reference ref :
        Fhir.context().newTerser().getAllPopulatedChildElementsOfType(r, Reference.class)) {
      if (sourcePatient.equals(ref.getReference())) {
        ref.setReference(patientUrl);
      }
    }
  }

  /** Adds a resource under its source's full URL; returns that URL. */
  private static String add(Bundle bundle, SourceDescriptor source, Resource resource) {
    String reference = resource.fhirType() + "/" + resource.getIdElement().getIdPart();
    resource.setId(reference);
    resource.getMeta().setSource(source.base());
    String fullUrl = source.base() + "/" + reference;
    bundle
        .addEntry()
        .setFullUrl(fullUrl)
        .setResource(resource)
        .getSearch()
        .setMode(Bundle.SearchEntryMode.MATCH);
    return fullUrl;
  }

  /**
   * Where a source's part of the view came from: the source organisation as custodian, the
   * agreement it was shared under as policy, and when the gateway assembled it.
   */
  private static Provenance provenance(
      SourceDescriptor source, String agreement, List<Reference> targets, Instant now) {
    Provenance provenance = new Provenance();
    provenance.setId(UUID.randomUUID().toString());
    provenance.setTarget(targets);
    provenance.setRecorded(Date.from(now));
    provenance.addPolicy("urn:placeshare:agreement:" + agreement);
    provenance
        .addAgent()
        .setType(new CodeableConcept(new Coding(PROVENANCE_AGENT_SYSTEM, "custodian", "Custodian")))
        .setWho(
            new Reference()
                .setIdentifier(
                    new Identifier()
                        .setSystem(Fhir.ODS_SYSTEM)
                        .setValue(source.organisation().value())));
    provenance
        .addEntity()
        .setRole(Provenance.ProvenanceEntityRole.SOURCE)
        .setWhat(new Reference().setReference(source.base()).setDisplay(source.id()));
    return provenance;
  }

  private static final String MISSING = "; its records are missing from this view";

  private static void addOutcome(
      Bundle bundle, SourceDescriptor source, String reason, String consequence) {
    OperationOutcome outcome = new OperationOutcome();
    outcome
        .addIssue()
        .setSeverity(OperationOutcome.IssueSeverity.WARNING)
        .setCode(OperationOutcome.IssueType.INCOMPLETE)
        .setDiagnostics(
            "source " + source.id() + " (" + source.organisation() + ") " + reason + consequence);
    bundle.addEntry().setResource(outcome).getSearch().setMode(Bundle.SearchEntryMode.OUTCOME);
  }
}
