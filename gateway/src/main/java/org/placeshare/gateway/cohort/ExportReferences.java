package org.placeshare.gateway.cohort;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.placeshare.fhir.Fhir;

/**
 * A member's released records as they go into NDJSON files, where there is no Bundle: references
 * between them, which in the view point at entries' {@code urn:uuid:} full URLs, become {@code
 * Type/id} of the record in the export (FHIR Bulk Data: references are relative to the files).
 */
final class ExportReferences {

  private ExportReferences() {}

  /** The Bundle's matched records, the merged Patient first, references made {@code Type/id}. */
  static List<Resource> plain(Bundle bundle) {
    List<Bundle.BundleEntryComponent> matched =
        bundle.getEntry().stream()
            .filter(e -> e.getSearch().getMode() == Bundle.SearchEntryMode.MATCH)
            .toList();
    Map<String, String> byFullUrl = new HashMap<>();
    for (Bundle.BundleEntryComponent e : matched) {
      Resource r = e.getResource();
      byFullUrl.put(e.getFullUrl(), r.fhirType() + "/" + r.getIdElement().getIdPart());
    }
    List<Resource> resources =
        matched.stream().map(Bundle.BundleEntryComponent::getResource).toList();
    for (Resource r : resources) {
      for (Reference ref : Fhir.populated(r, Reference.class)) {
        String plain = ref.getReference() == null ? null : byFullUrl.get(ref.getReference());
        if (plain != null) {
          ref.setReference(plain);
        }
      }
    }
    return resources;
  }
}
