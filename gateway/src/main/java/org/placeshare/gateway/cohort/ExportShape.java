package org.placeshare.gateway.cohort;

import ca.uhn.fhir.context.BaseRuntimeChildDefinition;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.IParser;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.r4.model.Resource;
import org.placeshare.fhir.Fhir;

/**
 * What of a member's released records a bulk export writes, as its kick-off asked (<a
 * href="https://hl7.org/fhir/uv/bulkdata/export.html#query-parameters">Bulk Data v2 query
 * parameters</a>): only the resource types of {@code _type} (the Patient too only when asked), and
 * with {@code _elements} only the elements asked for and the type's mandatory ones, each resource
 * then tagged {@code SUBSETTED} so that nobody mistakes it for the whole record.
 *
 * @param types the types written, or empty for every type released
 * @param elements {@code Type.element} or {@code *.element} names kept, or empty for whole
 *     resources
 */
record ExportShape(Optional<Set<String>> types, Optional<Set<String>> elements) {

  /** Every released record, whole: a job's shape when its kick-off narrowed nothing. */
  static final ExportShape WHOLE = new ExportShape(Optional.empty(), Optional.empty());

  /**
   * The mandatory (min 1) root elements of every R4 resource type, as {@code Type.element}: kept
   * whatever {@code _elements} asks, as the spec says a server should.
   */
  private static final Set<String> MANDATORY = mandatory(Fhir.context());

  ExportShape {
    types = types.map(Set::copyOf);
    elements = elements.map(ExportShape::withMandatory);
  }

  static ExportShape of(ExportJobs.Job job) {
    return new ExportShape(job.types(), job.elements());
  }

  /** Whether records of this type go into the files. */
  boolean writes(String type) {
    return types.map(t -> t.contains(type)).orElse(true);
  }

  /** One NDJSON line: the resource, subsetted and tagged when {@code _elements} was asked. */
  String encode(Resource resource) {
    if (elements.isEmpty()) {
      return Fhir.encode(resource);
    }
    // HAPI's parser keeps id and meta, leaves the rest out and adds the SUBSETTED tag, with a
    // display that says "summary mode": not what this is, and a tag is its system and code.
    IParser parser = Fhir.json().setEncodeElements(elements.get());
    return parser.encodeResourceToString(resource).replace(HAPI_SUBSETTED_DISPLAY, "");
  }

  private static final String HAPI_SUBSETTED_DISPLAY =
      ",\"display\":\"Resource encoded in summary mode\"";

  private static Set<String> withMandatory(Set<String> asked) {
    Set<String> kept = new HashSet<>(asked);
    kept.addAll(MANDATORY);
    return Set.copyOf(kept);
  }

  private static Set<String> mandatory(FhirContext context) {
    Set<String> mandatory = new HashSet<>();
    for (String type : context.getResourceTypes()) {
      for (BaseRuntimeChildDefinition child : context.getResourceDefinition(type).getChildren()) {
        if (child.getMin() > 0) {
          mandatory.add(type + "." + child.getElementName());
        }
      }
    }
    return Set.copyOf(mandatory);
  }
}
