package org.placeshare.policy;

import java.util.OptionalInt;
import java.util.Set;

/**
 * Step 6 of the sharing model, start small: a pilot limited to a cohort, a daily volume per
 * recipient, or monitor-only (decide and record, release nothing).
 *
 * @param cohort NHS numbers in the pilot; empty with empty districts means everyone
 * @param postcodeDistricts outward codes such as {@code CV1}; a person living there is in the pilot
 * @param dailyVolume the most releases per recipient per day (Europe/London)
 */
public record Pilot(
    Set<NhsNumber> cohort,
    Set<String> postcodeDistricts,
    OptionalInt dailyVolume,
    boolean monitorOnly) {

  public Pilot {
    cohort = Set.copyOf(cohort);
    postcodeDistricts = Set.copyOf(postcodeDistricts);
  }

  boolean limitsCohort() {
    return !cohort.isEmpty() || !postcodeDistricts.isEmpty();
  }
}
