package org.placeshare.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.hl7.fhir.r4.model.ResourceType;
import org.junit.jupiter.api.Test;
import org.placeshare.policy.FhirResourceTypes;

/** The policy module checks agreements against its own list of R4 types; it must match HAPI's. */
class ResourceTypeListTest {

  @Test
  void policyList_isExactlyHapiR4ResourceTypes() {
    assertThat(FhirResourceTypes.R4)
        .containsExactlyInAnyOrderElementsOf(
            Arrays.stream(ResourceType.values()).map(Enum::name).toList());
  }
}
