package org.placeshare.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.IParser;
import java.util.List;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IBaseResource;

/**
 * The one {@link FhirContext} of the process (building one scans every R4 model class, so it is
 * made once) and the JSON media type FHIR R4 uses.
 */
public final class Fhir {

  public static final String JSON = "application/fhir+json";

  /** The system of NHS numbers in FHIR identifiers (UK Core). */
  public static final String NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number";

  /** The identifier system of ODS organisation codes. */
  public static final String ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code";

  // HAPI's cached context: the synthetic demo sources, in the same process, share it.
  private static final FhirContext CONTEXT = FhirContext.forR4Cached();

  private Fhir() {}

  public static FhirContext context() {
    return CONTEXT;
  }

  /** A new JSON parser; parsers are cheap and not thread-safe, so each use takes its own. */
  public static IParser json() {
    return CONTEXT.newJsonParser();
  }

  public static String encode(IBaseResource resource) {
    return json().encodeResourceToString(resource);
  }

  /**
   * The non-empty elements of {@code type} in a resource and its contained resources, the
   * extensions on its primitives included: HAPI's terser does not go below a primitive, so a
   * reference in {@code "_recordedDate": {"extension": [...]}} is missed by it ({@link
   * PopulatedElements}).
   */
  public static <T extends IBase> List<T> populated(IBaseResource resource, Class<T> type) {
    return PopulatedElements.of(resource, type);
  }
}
