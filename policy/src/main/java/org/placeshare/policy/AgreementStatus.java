package org.placeshare.policy;

/** Where an agreement is in its life. Only {@link #PILOT} and {@link #ACTIVE} permit sharing. */
public enum AgreementStatus {
  DRAFT,
  PILOT,
  ACTIVE,
  SUSPENDED,
  EXPIRED;

  boolean permitsSharing() {
    return this == PILOT || this == ACTIVE;
  }
}
