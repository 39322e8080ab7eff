package org.placeshare.fhir.linkage;

/** How a record came to be linked to an NHS number. */
public enum LinkMethod {
  /** A CERTAIN, unambiguous trace, with no person involved. */
  AUTOMATIC,
  /** A data steward chose the NHS number from the review queue. */
  REVIEWED
}
