package org.placeshare.fhir.linkage;

import java.util.Objects;
import org.placeshare.policy.NhsNumber;

/** A person of the reference demographic index: an NHS number and its demographics. */
public record IndexEntry(NhsNumber nhsNumber, Demographics demographics) {

  public IndexEntry {
    Objects.requireNonNull(nhsNumber, "nhsNumber");
    Objects.requireNonNull(demographics, "demographics");
  }
}
