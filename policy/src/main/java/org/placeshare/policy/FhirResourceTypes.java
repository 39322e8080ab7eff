package org.placeshare.policy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/** The FHIR R4 resource type names, so an agreement cannot name a type that does not exist. */
public final class FhirResourceTypes {

  /** Every R4 resource type name. */
  public static final Set<String> R4 = load();

  private FhirResourceTypes() {}

  private static Set<String> load() {
    try (InputStream in =
        FhirResourceTypes.class.getResourceAsStream("fhir-r4-resource-types.txt")) {
      if (in == null) {
        throw new IllegalStateException(
            "fhir-r4-resource-types.txt is missing from the policy jar");
      }
      return Set.copyOf(
          new String(in.readAllBytes(), StandardCharsets.UTF_8)
              .lines()
              .filter(l -> !l.isBlank() && !l.startsWith("#"))
              .toList());
    } catch (IOException e) {
      throw new IllegalStateException("fhir-r4-resource-types.txt cannot be read", e);
    }
  }
}
