package org.placeshare.fhir;

import ca.uhn.fhir.context.FhirContext;
import org.hl7.fhir.instance.model.api.IBaseResource;

/**
 * A released view (or any resource the gateway releases) in JSON: HAPI's encoder without its search
 * for resources to contain. For every resource it writes, HAPI's encoder searches for references
 * whose linked target it should contain ({@code FhirTerser.containResources}), a walk of every
 * element of every entry that was a tenth of a view's CPU (issue 22). A release has no such links:
 * {@code BundleReferences} clears every released reference's link to a record, so the search finds
 * nothing, and this writes {@link Fhir#encode}'s bytes for less work (ReleasedJsonTest compares
 * them over the release corpus). Given a resource that still carried links, it would write each
 * reference from its text and never contain a record that is only linked: the safer way.
 *
 * <p>The process's context is not changed: the demo's sources share it, and every other encode
 * keeps HAPI's behaviour.
 */
public final class ReleasedJson {

  // A context is costly to build (it reads the model's classes as they are first used): one.
  private static final FhirContext WITHOUT_CONTAIN_SEARCH = withoutContainSearch();

  private ReleasedJson() {}

  /** The released resource in JSON; {@code Fhir.encode(resource)}'s bytes for a release. */
  public static String encode(IBaseResource resource) {
    return WITHOUT_CONTAIN_SEARCH.newJsonParser().encodeResourceToString(resource);
  }

  private static FhirContext withoutContainSearch() {
    FhirContext context = FhirContext.forR4();
    context.getParserOptions().setAutoContainReferenceTargetsWithNoId(false);
    return context;
  }
}
