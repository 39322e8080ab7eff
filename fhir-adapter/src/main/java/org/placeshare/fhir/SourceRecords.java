package org.placeshare.fhir;

import java.util.List;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Resource;
import org.placeshare.fhir.linkage.Link;

/** What one source gave for one person: records, no such person, or a failure. */
public sealed interface SourceRecords {

  SourceDescriptor source();

  /**
   * The person was found: their Patient and the resources of the types asked for.
   *
   * @param warnings what is missing from this source's part, in words safe to show
   * @param notAboutThePerson how many records the source sent that were not about the person asked
   *     for, left out ({@link AboutThePerson})
   * @param links for a traced source, the links that attached its records to the NHS number, named
   *     in the view's Provenance; empty for a source that holds the NHS number itself
   */
  record Found(
      SourceDescriptor source,
      Patient patient,
      List<Resource> resources,
      List<String> warnings,
      int notAboutThePerson,
      List<Link> links)
      implements SourceRecords {
    public Found {
      resources = List.copyOf(resources);
      warnings = List.copyOf(warnings);
      links = List.copyOf(links);
    }

    public Found(
        SourceDescriptor source,
        Patient patient,
        List<Resource> resources,
        List<String> warnings,
        int notAboutThePerson) {
      this(source, patient, resources, warnings, notAboutThePerson, List.of());
    }

    public Found(
        SourceDescriptor source, Patient patient, List<Resource> resources, List<String> warnings) {
      this(source, patient, resources, warnings, 0);
    }

    public Found(SourceDescriptor source, Patient patient, List<Resource> resources) {
      this(source, patient, resources, List.of());
    }
  }

  /** The source answered and holds nobody with this NHS number. */
  record NotFound(SourceDescriptor source) implements SourceRecords {}

  /**
   * The source could not be read: timeout, refused connection, an error status or a reply that is
   * not valid FHIR. The reason is safe to show the caller: it never quotes the upstream's body.
   */
  record Failed(SourceDescriptor source, String reason) implements SourceRecords {}
}
