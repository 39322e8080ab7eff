package org.placeshare.gateway.cohort;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.placeshare.fhir.Fhir;
import org.placeshare.gateway.audit.SentDigest;

/**
 * A member's released records as they go into NDJSON files, where there is no Bundle: references
 * between them, which in the view point at entries' {@code urn:uuid:} full URLs, become {@code
 * Type/id} of the record in the export (FHIR Bulk Data: references are relative to the files).
 *
 * <p>Every member's records of a type share one file, and sources number their records their own
 * way ({@code Encounter/1} at the GP and at the trust), so the id a source gave a record could name
 * another source's record, or another member's, in the files. Each record but the Patient (whose id
 * is already the member's own, a keyed pseudonym) is given an id of its own in the export: the
 * first 128 bits, in hex, of SHA-256 over its source ({@code meta.source}), type and id in the
 * view. It is the same in every export of that record, and differs between sources.
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
      if (!(r instanceof Patient)) {
        r.setId(exportId(r));
      }
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

  private static String exportId(Resource r) {
    String named =
        r.getMeta().getSource() + "|" + r.fhirType() + "|" + r.getIdElement().getIdPart();
    return HexFormat.of()
        .formatHex(SentDigest.sha256(named.getBytes(StandardCharsets.UTF_8)), 0, 16);
  }
}
