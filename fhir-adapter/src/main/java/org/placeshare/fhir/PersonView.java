package org.placeshare.fhir;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeType;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DecimalType;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.UriType;
import org.placeshare.fhir.linkage.Link;
import org.placeshare.policy.Decision;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.Obligations;
import org.placeshare.policy.OdsCode;

/**
 * Assembles the person-level view: one searchset {@link Bundle} with one merged Patient (the most
 * authoritative source's, in the order given), each source's resources tagged with that source's
 * logical URI ({@link SourceDescriptor#uri()}) in {@code meta.source} and pointing at the merged
 * Patient, a {@code Provenance} per source naming the organisation, the source, the agreement and
 * the time, an OperationOutcome entry for each source that failed or was not shared, and one for
 * the sources' disagreements about the person ({@link DataQuality}).
 *
 * <p>No internal address leaves: every entry's {@code fullUrl} is a {@code urn:uuid:}, every
 * reference resolves inside the Bundle or is removed ({@link BundleReferences}), and URIs pointing
 * at a source's server are dropped. The Patient's id is a keyed pseudonym of the person for the
 * recipient organisation: the same on every request it makes, unrelated across organisations.
 */
public final class PersonView {

  /** What was put in the view, for the audit event: references and counts, never content. */
  /**
   * @param notAboutThePerson per source, how many records it sent that were not about the person,
   *     left out (sources that sent none are not listed)
   */
  public record Released(
      Bundle bundle,
      Map<String, List<String>> referencesBySource,
      List<DataQuality.Finding> findings,
      Map<String, Integer> notAboutThePerson) {
    public int resourceCount() {
      return referencesBySource.values().stream().mapToInt(List::size).sum();
    }

    /** For the audit event's detail: the records left out per source, counted, never shown. */
    public String leftOutNote() {
      if (notAboutThePerson.isEmpty()) {
        return "";
      }
      return "; left out as not about this person: "
          + new TreeMap<>(notAboutThePerson)
              .entrySet().stream()
                  .map(e -> e.getValue() + " from " + e.getKey())
                  .collect(Collectors.joining(", "));
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

  /** The identifier system of a value that is itself a URI (FHIR's convention, RFC 3986). */
  static final String URI_SYSTEM = "urn:ietf:rfc:3986";

  /**
   * The key of Patient ids where no pseudonym key is configured: made when the process starts, so
   * ids are stable for an organisation until a restart, on this instance. With {@code pseudonymKey}
   * configured they are stable across restarts and instances.
   */
  private static final Pseudonyms INSTANCE_PATIENT_IDS = Pseudonyms.forOneRelease();

  /** The Pseudonyms "agreement" of Patient ids: a colon, so no agreement id can be the same. */
  private static final String PATIENT_ID_LABEL = "urn:placeshare:patient-id";

  private PersonView() {}

  /**
   * @param recipient the caller's organisation: the Patient's id is stable for it
   * @param results in order of authority: the first Found supplies the Patient
   * @param grants per source id, what its decision allows: only that leaves, and as it says
   * @param withheld sources the policy did not permit for this request, said in general terms
   * @param pseudonyms the gateway's pseudonym key, for agreements that ask for pseudonyms
   */
  public static Released assemble(
      NhsNumber requested,
      OdsCode recipient,
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
    String patientId = patientId(requested, recipient, results, grants, pseudonyms);
    String patientUrl = "urn:uuid:" + patientId;
    // Ids are pseudonymised under the gateway's key, or without one under a key for this release.
    Pseudonyms idPseudonyms = pseudonyms.orElseGet(Pseudonyms::forOneRelease);
    InternalAddresses internal =
        InternalAddresses.of(
            Stream.concat(results.stream().map(SourceRecords::source), withheld.stream())
                .map(SourceDescriptor::baseUrl)
                .toList());
    Map<String, List<String>> released = new LinkedHashMap<>();
    Map<String, Integer> notAbout = new LinkedHashMap<>();
    List<Provenance> provenances = new ArrayList<>();
    List<Placed> placed = new ArrayList<>();
    boolean patientAdded = false;
    for (SourceRecords result : results) {
      SourceDescriptor source = result.source();
      if (result instanceof SourceRecords.Found found) {
        Grant grant = grants.get(source.id());
        if (grant == null) {
          continue; // never fetched without a grant; nothing leaves without one either
        }
        if (found.notAboutThePerson() > 0) {
          notAbout.put(source.id(), found.notAboutThePerson());
        }
        List<String> refs = new ArrayList<>();
        List<Reference> targets = new ArrayList<>();
        int undefined = 0;
        Map<String, String> sameSource = new LinkedHashMap<>();
        String sourcePatientId = found.patient().getIdElement().getIdPart();
        String sourcePatient = "Patient/" + sourcePatientId;
        AboutThePerson.ThePatient thePatient =
            new AboutThePerson.ThePatient(sourcePatientId, source, requested);
        if (!patientAdded) {
          pointAtMergedPatient(found.patient(), thePatient, patientUrl);
          Optional<Resource> patient =
              ReleaseObligations.apply(found.patient(), grant.obligations(), pseudonyms);
          if (patient.isPresent()) {
            Resource merged = patient.get();
            PopulatedElements.Two<Reference, UriType> walked =
                PopulatedElements.of(merged, Reference.class, UriType.class);
            if (!leavesWhole(merged, walked, internal)) {
              undefined++;
            } else {
              pseudonymiseIds(merged, walked.first(), source, grant, idPseudonyms);
              merged.setId(patientId);
              merged.getMeta().setSource(source.uri());
              bundle
                  .addEntry()
                  .setFullUrl(patientUrl)
                  .setResource(merged)
                  .getSearch()
                  .setMode(Bundle.SearchEntryMode.MATCH);
              placed.add(new Placed(merged, source, sameSource));
              refs.add(sourcePatient);
              targets.add(new Reference(patientUrl));
              patientAdded = true;
            }
          }
        }
        for (Resource resource : found.resources()) {
          if (resource instanceof Patient) {
            continue;
          }
          // One walk for the references and the codes: pointing at the merged Patient changes
          // the references' text only, so the references and codes the obligations read (other
          // people's names, sensitive codes) are the same elements.
          PopulatedElements.Two<Reference, Coding> read =
              PopulatedElements.of(resource, Reference.class, Coding.class);
          pointAtMergedPatient(read.first(), resource, thePatient, patientUrl);
          Optional<Resource> obliged =
              ReleaseObligations.apply(
                  resource, grant.obligations(), pseudonyms, read.first(), read.second());
          if (obliged.isEmpty()) {
            continue;
          }
          Resource r = obliged.get();
          // One walk again, after the obligations changed what the record holds: pseudonymising
          // references changes their text only, not the URIs.
          PopulatedElements.Two<Reference, UriType> kept =
              PopulatedElements.of(r, Reference.class, UriType.class);
          if (!leavesWhole(r, kept, internal)) {
            undefined++;
            continue;
          }
          // The audit names the source's own record; the recipient may see a pseudonym.
          refs.add(r.fhirType() + "/" + r.getIdElement().getIdPart());
          pseudonymiseIds(r, kept.first(), source, grant, idPseudonyms);
          String fullUrl = add(bundle, source, r);
          sameSource.put(r.fhirType() + "/" + r.getIdElement().getIdPart(), fullUrl);
          placed.add(new Placed(r, source, sameSource));
          targets.add(new Reference(fullUrl));
        }
        released.put(source.id(), List.copyOf(refs));
        found.warnings().forEach(w -> addOutcome(bundle, source, w, ""));
        if (undefined > 0) {
          addOutcome(
              bundle,
              source,
              AboutThePerson.missing(
                  undefined, "with a modifier extension that cannot leave as it came"),
              "");
        }
        if (!targets.isEmpty()) {
          provenances.add(provenance(source, grant.agreement(), targets, found.links(), now));
        }
      } else if (result instanceof SourceRecords.Failed failed) {
        addOutcome(bundle, source, failed.reason(), MISSING);
      }
    }
    for (SourceDescriptor source : withheld) {
      addOutcome(bundle, source, "is not shared with you for this request", MISSING);
    }
    if (!findings.isEmpty()) {
      addEntry(bundle, DataQuality.outcome(findings), Bundle.SearchEntryMode.OUTCOME);
    }
    for (Provenance provenance : provenances) {
      addEntry(bundle, provenance, Bundle.SearchEntryMode.INCLUDE);
    }
    Set<String> fullUrls = new HashSet<>();
    bundle.getEntry().forEach(e -> fullUrls.add(e.getFullUrl()));
    for (Placed p : placed) {
      BundleReferences.resolve(p.resource(), p.sameSource(), fullUrls, p.source().base());
    }
    bundle.setTotal(released.values().stream().mapToInt(List::size).sum());
    return new Released(bundle, Map.copyOf(released), findings, Map.copyOf(notAbout));
  }

  /** A record placed in the view, with its source's released records by {@code Type/id}. */
  private record Placed(
      Resource resource, SourceDescriptor source, Map<String, String> sameSource) {}

  /**
   * The Patient's id: a keyed pseudonym of the NHS number for the recipient organisation, and for
   * the agreement too where the Patient's source shares under pseudonyms, so that an organisation
   * cannot join a pseudonymised release to a named one by the id. A UUID (RFC 9562 version 8), so
   * that its {@code urn:uuid:} is the Patient's full URL.
   */
  private static String patientId(
      NhsNumber requested,
      OdsCode recipient,
      List<SourceRecords> results,
      Map<String, Grant> grants,
      Optional<Pseudonyms> pseudonyms) {
    Optional<String> agreement =
        results.stream()
            .filter(r -> r instanceof SourceRecords.Found && grants.containsKey(r.source().id()))
            .findFirst()
            .flatMap(r -> grants.get(r.source().id()).obligations().pseudonymKey());
    String scope =
        "urn:placeshare:recipient:" + recipient.value() + agreement.map(a -> "#" + a).orElse("");
    String hex =
        pseudonyms.orElse(INSTANCE_PATIENT_IDS).id(PATIENT_ID_LABEL, scope, requested.toString());
    char[] c = hex.toCharArray();
    c[12] = '8'; // version 8: a UUID of the application's own making
    c[16] = Character.forDigit((Character.digit(c[16], 16) & 0x3) | 0x8, 16); // RFC variant
    String u = new String(c);
    return u.substring(0, 8)
        + "-"
        + u.substring(8, 12)
        + "-"
        + u.substring(12, 16)
        + "-"
        + u.substring(16, 20)
        + "-"
        + u.substring(20);
  }

  /**
   * Drops the internal addresses the record holds ({@link InternalAddresses}); false for a record
   * that must stay behind, as a modifier extension in it holds one or names another record ({@link
   * ModifierExtensions}).
   */
  private static boolean leavesWhole(
      Resource r, PopulatedElements.Two<Reference, UriType> walked, InternalAddresses internal) {
    return internal.drop(r, walked.second(), walked.modifierExtensions())
        && !(walked.modifierExtensions() && ModifierExtensions.nameAnotherRecord(r));
  }

  /** Under an agreement that shares under pseudonyms, the record's id and its references'. */
  private static void pseudonymiseIds(
      Resource r,
      List<Reference> references,
      SourceDescriptor source,
      Grant grant,
      Pseudonyms pseudonyms) {
    grant
        .obligations()
        .pseudonymKey()
        .ifPresent(
            agreement ->
                ReleaseObligations.pseudonymiseIds(
                    r, references, source.uri(), agreement, pseudonyms));
  }

  /**
   * Every reference naming the source's Patient for this person (by its id on the source, or by the
   * NHS number asked for) now names the one Patient in the view.
   */
  private static void pointAtMergedPatient(
      Resource r, AboutThePerson.ThePatient thePatient, String patientUrl) {
    pointAtMergedPatient(PopulatedElements.of(r, Reference.class), r, thePatient, patientUrl);
  }

  private static void pointAtMergedPatient(
      List<Reference> references,
      Resource r,
      AboutThePerson.ThePatient thePatient,
      String patientUrl) {
    for (Reference ref : references) {
      if (thePatient.names(ref, r) == AboutThePerson.Naming.THE_PERSON) {
        ref.setReference(patientUrl);
      }
    }
  }

  /** Adds a source's record under a {@code urn:uuid:} full URL; returns that URL. */
  private static String add(Bundle bundle, SourceDescriptor source, Resource resource) {
    String reference = resource.fhirType() + "/" + resource.getIdElement().getIdPart();
    resource.setId(reference);
    resource.getMeta().setSource(source.uri());
    String fullUrl = "urn:uuid:" + UUID.randomUUID();
    bundle
        .addEntry()
        .setFullUrl(fullUrl)
        .setResource(resource)
        .getSearch()
        .setMode(Bundle.SearchEntryMode.MATCH);
    return fullUrl;
  }

  /** Adds a resource the gateway made, with an id and its {@code urn:uuid:} full URL. */
  private static void addEntry(Bundle bundle, Resource resource, Bundle.SearchEntryMode mode) {
    String id = resource.getIdElement().getIdPart();
    if (id == null) {
      id = UUID.randomUUID().toString();
      resource.setId(id);
    }
    bundle.addEntry().setFullUrl("urn:uuid:" + id).setResource(resource).getSearch().setMode(mode);
  }

  /**
   * Where a source's part of the view came from: the source organisation as custodian, the source
   * (by its logical URI, an identifier: it is not a record in the view) as the entity, the
   * agreement it was shared under as policy, and when the gateway assembled it.
   */
  private static Provenance provenance(
      SourceDescriptor source,
      String agreement,
      List<Reference> targets,
      List<Link> links,
      Instant now) {
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
        .setWhat(
            new Reference()
                .setIdentifier(new Identifier().setSystem(URI_SYSTEM).setValue(source.uri()))
                .setDisplay(source.id()));
    links.forEach(link -> provenance.addEntity(linkEntity(source, link)));
    return provenance;
  }

  /** FHIR's match-grade extension (its codes: certain, probable, possible, certainly-not). */
  static final String MATCH_GRADE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/match-grade";

  /** How a link was made: {@code automatic} or {@code reviewed} (by a data steward). */
  static final String LINK_METHOD_EXTENSION =
      "https://placeshare.example/fhir/StructureDefinition/link-method";

  /** The link's match score, in bits of evidence (Fellegi-Sunter weights). */
  static final String LINK_SCORE_EXTENSION =
      "https://placeshare.example/fhir/StructureDefinition/link-score";

  /**
   * A traced source's records joined the view through a link of one of its records to the NHS
   * number: the link is an entity the view was derived from (role {@code derivation}), naming its
   * grade (FHIR's match-grade extension), method and score. Neither the source's own id for the
   * person nor who reviewed the link leaves.
   */
  private static Provenance.ProvenanceEntityComponent linkEntity(
      SourceDescriptor source, Link link) {
    Provenance.ProvenanceEntityComponent entity =
        new Provenance.ProvenanceEntityComponent()
            .setRole(Provenance.ProvenanceEntityRole.DERIVATION)
            .setWhat(
                new Reference()
                    .setDisplay(
                        "a record of "
                            + source.id()
                            + " linked to this NHS number by tracing ("
                            + link.grade().name().toLowerCase(Locale.ROOT).replace('_', '-')
                            + ", "
                            + link.method().name().toLowerCase(Locale.ROOT)
                            + ")"));
    entity.addExtension(
        MATCH_GRADE_EXTENSION,
        new CodeType(link.grade().name().toLowerCase(Locale.ROOT).replace('_', '-')));
    entity.addExtension(
        LINK_METHOD_EXTENSION, new CodeType(link.method().name().toLowerCase(Locale.ROOT)));
    if (Double.isFinite(link.score())) {
      entity.addExtension(
          LINK_SCORE_EXTENSION,
          new DecimalType(BigDecimal.valueOf(link.score()).setScale(2, RoundingMode.HALF_EVEN)));
    }
    return entity;
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
    addEntry(bundle, outcome, Bundle.SearchEntryMode.OUTCOME);
  }
}
